/* SPDX-License-Identifier: Apache-2.0 */
/* vet_api.h -- VET_API marks the functions a vetd shared library
 * exports. libvet and libvetengine are built with -fvisibility=hidden,
 * so only what carries this marker is in their dynamic symbol table
 * (make test compares it with the headers). */
#ifndef VET_API_H
#define VET_API_H

#if defined(__GNUC__) || defined(__clang__)
#define VET_API __attribute__((visibility("default")))
#else
#define VET_API
#endif

#endif
