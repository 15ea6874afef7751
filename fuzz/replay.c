/* SPDX-License-Identifier: Apache-2.0 */
/* replay.c -- runs a fuzz target over files named on the command line
 * (a corpus), so the targets build and run with gcc in `make test`
 * and under the sanitizers, without libFuzzer. Prints "replayed N". */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
main(int argc, char **argv)
{
    int n = 0;
    for (int i = 1; i < argc; i++) {
        FILE *f = fopen(argv[i], "rb");
        if (f == NULL) {
            perror(argv[i]);
            return 1;
        }
        static uint8_t buf[1 << 20];
        size_t len = fread(buf, 1, sizeof buf, f);
        fclose(f);
        /* Exact-size copy so ASan sees reads past the end. */
        uint8_t *copy = malloc(len ? len : 1);
        for (size_t k = 0; k < len; k++)
            copy[k] = buf[k];
        LLVMFuzzerTestOneInput(copy, len);
        free(copy);
        n++;
    }
    printf("replayed %d\n", n);
    return 0;
}
