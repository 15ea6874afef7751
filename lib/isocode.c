/* SPDX-License-Identifier: Apache-2.0 */
/* isocode.c -- ISO 3166 codes: shape checks and the table of country names. */
#include "isocode.h"

#include <stddef.h>
#include <string.h>

#define NAME_MAX_LEN 96 /* longer than any name of the table ("United Kingdom of ...") */

/* ISO 3166-1: each assigned alpha-2 code, its alpha-3 code, and every
 * name it is found by, normalised as norm() does and separated by '|'
 * (the common name in the comment). Generated from Debian's iso-codes
 * (iso_3166-1.json: name, common_name, official_name; "Korea, Republic
 * of" also as "Republic of Korea"; each written with and without
 * accents), plus usual English names the standard does not give
 * ("Russia", "UK", "Burma"). Names that stand for two countries
 * ("Korea"; "Congo", ISO's short name of CG) are left out on purpose: a
 * screening must not guess between North and South. */
/* clang-format off */
static const struct {
    char code[3];     /* alpha-2 */
    char alpha3[4];   /* alpha-3, matched only as written: upper case */
    const char *keys; /* normalised names, '|'-separated */
} countries[] = {
    {"AD", "AND", "andorra|principality of andorra"}, /* Andorra */
    {"AE", "ARE", "united arab emirates|uae|emirates"}, /* United Arab Emirates */
    {"AF", "AFG", "afghanistan|islamic republic of afghanistan"}, /* Afghanistan */
    {"AG", "ATG", "antigua and barbuda"}, /* Antigua and Barbuda */
    {"AI", "AIA", "anguilla"}, /* Anguilla */
    {"AL", "ALB", "albania|republic of albania"}, /* Albania */
    {"AM", "ARM", "armenia|republic of armenia"}, /* Armenia */
    {"AO", "AGO", "angola|republic of angola"}, /* Angola */
    {"AQ", "ATA", "antarctica"}, /* Antarctica */
    {"AR", "ARG", "argentina|argentine republic"}, /* Argentina */
    {"AS", "ASM", "american samoa"}, /* American Samoa */
    {"AT", "AUT", "austria|republic of austria"}, /* Austria */
    {"AU", "AUS", "australia"}, /* Australia */
    {"AW", "ABW", "aruba"}, /* Aruba */
    {"AX", "ALA", "aland islands|Åland islands"}, /* Åland Islands */
    {"AZ", "AZE", "azerbaijan|republic of azerbaijan"}, /* Azerbaijan */
    {"BA", "BIH", "bosnia and herzegovina|republic of bosnia and herzegovina"}, /* Bosnia and Herzegovina */
    {"BB", "BRB", "barbados"}, /* Barbados */
    {"BD", "BGD", "bangladesh|peoples republic of bangladesh"}, /* Bangladesh */
    {"BE", "BEL", "belgium|kingdom of belgium"}, /* Belgium */
    {"BF", "BFA", "burkina faso"}, /* Burkina Faso */
    {"BG", "BGR", "bulgaria|republic of bulgaria"}, /* Bulgaria */
    {"BH", "BHR", "bahrain|kingdom of bahrain"}, /* Bahrain */
    {"BI", "BDI", "burundi|republic of burundi"}, /* Burundi */
    {"BJ", "BEN", "benin|republic of benin"}, /* Benin */
    {"BL", "BLM", "saint barthelemy|saint barthélemy"}, /* Saint Barthélemy */
    {"BM", "BMU", "bermuda"}, /* Bermuda */
    {"BN", "BRN", "brunei darussalam|brunei"}, /* Brunei Darussalam */
    {"BO", "BOL", "bolivia plurinational state of|plurinational state of bolivia|bolivia"}, /* Bolivia */
    {"BQ", "BES", "bonaire sint eustatius and saba|sint eustatius and saba bonaire"}, /* Bonaire, Sint Eustatius and Saba */
    {"BR", "BRA", "brazil|federative republic of brazil"}, /* Brazil */
    {"BS", "BHS", "bahamas|commonwealth of the bahamas"}, /* Bahamas */
    {"BT", "BTN", "bhutan|kingdom of bhutan"}, /* Bhutan */
    {"BV", "BVT", "bouvet island"}, /* Bouvet Island */
    {"BW", "BWA", "botswana|republic of botswana"}, /* Botswana */
    {"BY", "BLR", "belarus|republic of belarus"}, /* Belarus */
    {"BZ", "BLZ", "belize"}, /* Belize */
    {"CA", "CAN", "canada"}, /* Canada */
    {"CC", "CCK", "cocos keeling islands"}, /* Cocos (Keeling) Islands */
    {"CD", "COD", "congo the democratic republic of the|democratic republic of the congo|drc|congo kinshasa"}, /* Congo, The Democratic Republic of the */
    {"CF", "CAF", "central african republic"}, /* Central African Republic */
    {"CG", "COG", "republic of the congo|congo brazzaville"}, /* Congo */
    {"CH", "CHE", "switzerland|swiss confederation"}, /* Switzerland */
    {"CI", "CIV", "cote divoire|côte divoire|republic of cote divoire|republic of côte divoire|ivory coast"}, /* Côte d'Ivoire */
    {"CK", "COK", "cook islands"}, /* Cook Islands */
    {"CL", "CHL", "chile|republic of chile"}, /* Chile */
    {"CM", "CMR", "cameroon|republic of cameroon"}, /* Cameroon */
    {"CN", "CHN", "china|peoples republic of china|mainland china|prc|pr china|peoples r china"}, /* China */
    {"CO", "COL", "colombia|republic of colombia"}, /* Colombia */
    {"CR", "CRI", "costa rica|republic of costa rica"}, /* Costa Rica */
    {"CU", "CUB", "cuba|republic of cuba"}, /* Cuba */
    {"CV", "CPV", "cabo verde|republic of cabo verde|cape verde"}, /* Cabo Verde */
    {"CW", "CUW", "curacao|curaçao"}, /* Curaçao */
    {"CX", "CXR", "christmas island"}, /* Christmas Island */
    {"CY", "CYP", "cyprus|republic of cyprus"}, /* Cyprus */
    {"CZ", "CZE", "czechia|czech republic"}, /* Czechia */
    {"DE", "DEU", "germany|federal republic of germany"}, /* Germany */
    {"DJ", "DJI", "djibouti|republic of djibouti"}, /* Djibouti */
    {"DK", "DNK", "denmark|kingdom of denmark"}, /* Denmark */
    {"DM", "DMA", "dominica|commonwealth of dominica"}, /* Dominica */
    {"DO", "DOM", "dominican republic"}, /* Dominican Republic */
    {"DZ", "DZA", "algeria|peoples democratic republic of algeria"}, /* Algeria */
    {"EC", "ECU", "ecuador|republic of ecuador"}, /* Ecuador */
    {"EE", "EST", "estonia|republic of estonia"}, /* Estonia */
    {"EG", "EGY", "egypt|arab republic of egypt"}, /* Egypt */
    {"EH", "ESH", "western sahara"}, /* Western Sahara */
    {"ER", "ERI", "eritrea|state of eritrea"}, /* Eritrea */
    {"ES", "ESP", "spain|kingdom of spain"}, /* Spain */
    {"ET", "ETH", "ethiopia|federal democratic republic of ethiopia"}, /* Ethiopia */
    {"FI", "FIN", "finland|republic of finland"}, /* Finland */
    {"FJ", "FJI", "fiji|republic of fiji"}, /* Fiji */
    {"FK", "FLK", "falkland islands malvinas"}, /* Falkland Islands (Malvinas) */
    {"FM", "FSM", "micronesia federated states of|federated states of micronesia|micronesia"}, /* Micronesia, Federated States of */
    {"FO", "FRO", "faroe islands"}, /* Faroe Islands */
    {"FR", "FRA", "france|french republic"}, /* France */
    {"GA", "GAB", "gabon|gabonese republic"}, /* Gabon */
    {"GB", "GBR", "united kingdom|united kingdom of great britain and northern ireland|uk|great britain|britain|england|scotland|wales|northern ireland"}, /* United Kingdom */
    {"GD", "GRD", "grenada"}, /* Grenada */
    {"GE", "GEO", "georgia"}, /* Georgia */
    {"GF", "GUF", "french guiana"}, /* French Guiana */
    {"GG", "GGY", "guernsey"}, /* Guernsey */
    {"GH", "GHA", "ghana|republic of ghana"}, /* Ghana */
    {"GI", "GIB", "gibraltar"}, /* Gibraltar */
    {"GL", "GRL", "greenland"}, /* Greenland */
    {"GM", "GMB", "gambia|republic of the gambia"}, /* Gambia */
    {"GN", "GIN", "guinea|republic of guinea"}, /* Guinea */
    {"GP", "GLP", "guadeloupe"}, /* Guadeloupe */
    {"GQ", "GNQ", "equatorial guinea|republic of equatorial guinea"}, /* Equatorial Guinea */
    {"GR", "GRC", "greece|hellenic republic"}, /* Greece */
    {"GS", "SGS", "south georgia and the south sandwich islands"}, /* South Georgia and the South Sandwich Islands */
    {"GT", "GTM", "guatemala|republic of guatemala"}, /* Guatemala */
    {"GU", "GUM", "guam"}, /* Guam */
    {"GW", "GNB", "guinea bissau|republic of guinea bissau"}, /* Guinea-Bissau */
    {"GY", "GUY", "guyana|republic of guyana"}, /* Guyana */
    {"HK", "HKG", "hong kong|hong kong special administrative region of china"}, /* Hong Kong */
    {"HM", "HMD", "heard island and mcdonald islands"}, /* Heard Island and McDonald Islands */
    {"HN", "HND", "honduras|republic of honduras"}, /* Honduras */
    {"HR", "HRV", "croatia|republic of croatia"}, /* Croatia */
    {"HT", "HTI", "haiti|republic of haiti"}, /* Haiti */
    {"HU", "HUN", "hungary"}, /* Hungary */
    {"ID", "IDN", "indonesia|republic of indonesia"}, /* Indonesia */
    {"IE", "IRL", "ireland"}, /* Ireland */
    {"IL", "ISR", "israel|state of israel"}, /* Israel */
    {"IM", "IMN", "isle of man"}, /* Isle of Man */
    {"IN", "IND", "india|republic of india"}, /* India */
    {"IO", "IOT", "british indian ocean territory"}, /* British Indian Ocean Territory */
    {"IQ", "IRQ", "iraq|republic of iraq"}, /* Iraq */
    {"IR", "IRN", "iran islamic republic of|islamic republic of iran|iran|persia"}, /* Iran */
    {"IS", "ISL", "iceland|republic of iceland"}, /* Iceland */
    {"IT", "ITA", "italy|italian republic"}, /* Italy */
    {"JE", "JEY", "jersey"}, /* Jersey */
    {"JM", "JAM", "jamaica"}, /* Jamaica */
    {"JO", "JOR", "jordan|hashemite kingdom of jordan"}, /* Jordan */
    {"JP", "JPN", "japan"}, /* Japan */
    {"KE", "KEN", "kenya|republic of kenya"}, /* Kenya */
    {"KG", "KGZ", "kyrgyzstan|kyrgyz republic"}, /* Kyrgyzstan */
    {"KH", "KHM", "cambodia|kingdom of cambodia"}, /* Cambodia */
    {"KI", "KIR", "kiribati|republic of kiribati"}, /* Kiribati */
    {"KM", "COM", "comoros|union of the comoros"}, /* Comoros */
    {"KN", "KNA", "saint kitts and nevis"}, /* Saint Kitts and Nevis */
    {"KP", "PRK", "korea democratic peoples republic of|democratic peoples republic of korea|north korea|dprk|n korea"}, /* North Korea */
    {"KR", "KOR", "korea republic of|republic of korea|south korea|s korea"}, /* South Korea */
    {"KW", "KWT", "kuwait|state of kuwait"}, /* Kuwait */
    {"KY", "CYM", "cayman islands"}, /* Cayman Islands */
    {"KZ", "KAZ", "kazakhstan|republic of kazakhstan"}, /* Kazakhstan */
    {"LA", "LAO", "lao peoples democratic republic|laos"}, /* Laos */
    {"LB", "LBN", "lebanon|lebanese republic"}, /* Lebanon */
    {"LC", "LCA", "saint lucia"}, /* Saint Lucia */
    {"LI", "LIE", "liechtenstein|principality of liechtenstein"}, /* Liechtenstein */
    {"LK", "LKA", "sri lanka|democratic socialist republic of sri lanka"}, /* Sri Lanka */
    {"LR", "LBR", "liberia|republic of liberia"}, /* Liberia */
    {"LS", "LSO", "lesotho|kingdom of lesotho"}, /* Lesotho */
    {"LT", "LTU", "lithuania|republic of lithuania"}, /* Lithuania */
    {"LU", "LUX", "luxembourg|grand duchy of luxembourg"}, /* Luxembourg */
    {"LV", "LVA", "latvia|republic of latvia"}, /* Latvia */
    {"LY", "LBY", "libya"}, /* Libya */
    {"MA", "MAR", "morocco|kingdom of morocco"}, /* Morocco */
    {"MC", "MCO", "monaco|principality of monaco"}, /* Monaco */
    {"MD", "MDA", "moldova republic of|republic of moldova|moldova"}, /* Moldova */
    {"ME", "MNE", "montenegro"}, /* Montenegro */
    {"MF", "MAF", "saint martin french part"}, /* Saint Martin (French part) */
    {"MG", "MDG", "madagascar|republic of madagascar"}, /* Madagascar */
    {"MH", "MHL", "marshall islands|republic of the marshall islands"}, /* Marshall Islands */
    {"MK", "MKD", "north macedonia|republic of north macedonia|macedonia"}, /* North Macedonia */
    {"ML", "MLI", "mali|republic of mali"}, /* Mali */
    {"MM", "MMR", "myanmar|republic of myanmar|burma"}, /* Myanmar */
    {"MN", "MNG", "mongolia"}, /* Mongolia */
    {"MO", "MAC", "macao|macao special administrative region of china|macau"}, /* Macao */
    {"MP", "MNP", "northern mariana islands|commonwealth of the northern mariana islands"}, /* Northern Mariana Islands */
    {"MQ", "MTQ", "martinique"}, /* Martinique */
    {"MR", "MRT", "mauritania|islamic republic of mauritania"}, /* Mauritania */
    {"MS", "MSR", "montserrat"}, /* Montserrat */
    {"MT", "MLT", "malta|republic of malta"}, /* Malta */
    {"MU", "MUS", "mauritius|republic of mauritius"}, /* Mauritius */
    {"MV", "MDV", "maldives|republic of maldives"}, /* Maldives */
    {"MW", "MWI", "malawi|republic of malawi"}, /* Malawi */
    {"MX", "MEX", "mexico|united mexican states"}, /* Mexico */
    {"MY", "MYS", "malaysia"}, /* Malaysia */
    {"MZ", "MOZ", "mozambique|republic of mozambique"}, /* Mozambique */
    {"NA", "NAM", "namibia|republic of namibia"}, /* Namibia */
    {"NC", "NCL", "new caledonia"}, /* New Caledonia */
    {"NE", "NER", "niger|republic of the niger"}, /* Niger */
    {"NF", "NFK", "norfolk island"}, /* Norfolk Island */
    {"NG", "NGA", "nigeria|federal republic of nigeria"}, /* Nigeria */
    {"NI", "NIC", "nicaragua|republic of nicaragua"}, /* Nicaragua */
    {"NL", "NLD", "netherlands|kingdom of the netherlands|holland"}, /* Netherlands */
    {"NO", "NOR", "norway|kingdom of norway"}, /* Norway */
    {"NP", "NPL", "nepal|federal democratic republic of nepal"}, /* Nepal */
    {"NR", "NRU", "nauru|republic of nauru"}, /* Nauru */
    {"NU", "NIU", "niue"}, /* Niue */
    {"NZ", "NZL", "new zealand"}, /* New Zealand */
    {"OM", "OMN", "oman|sultanate of oman"}, /* Oman */
    {"PA", "PAN", "panama|republic of panama"}, /* Panama */
    {"PE", "PER", "peru|republic of peru"}, /* Peru */
    {"PF", "PYF", "french polynesia"}, /* French Polynesia */
    {"PG", "PNG", "papua new guinea|independent state of papua new guinea"}, /* Papua New Guinea */
    {"PH", "PHL", "philippines|republic of the philippines"}, /* Philippines */
    {"PK", "PAK", "pakistan|islamic republic of pakistan"}, /* Pakistan */
    {"PL", "POL", "poland|republic of poland"}, /* Poland */
    {"PM", "SPM", "saint pierre and miquelon"}, /* Saint Pierre and Miquelon */
    {"PN", "PCN", "pitcairn"}, /* Pitcairn */
    {"PR", "PRI", "puerto rico"}, /* Puerto Rico */
    {"PS", "PSE", "palestine state of|state of palestine|palestine"}, /* Palestine, State of */
    {"PT", "PRT", "portugal|portuguese republic"}, /* Portugal */
    {"PW", "PLW", "palau|republic of palau"}, /* Palau */
    {"PY", "PRY", "paraguay|republic of paraguay"}, /* Paraguay */
    {"QA", "QAT", "qatar|state of qatar"}, /* Qatar */
    {"RE", "REU", "reunion|réunion"}, /* Réunion */
    {"RO", "ROU", "romania"}, /* Romania */
    {"RS", "SRB", "serbia|republic of serbia"}, /* Serbia */
    {"RU", "RUS", "russian federation|russia"}, /* Russian Federation */
    {"RW", "RWA", "rwanda|rwandese republic"}, /* Rwanda */
    {"SA", "SAU", "saudi arabia|kingdom of saudi arabia"}, /* Saudi Arabia */
    {"SB", "SLB", "solomon islands"}, /* Solomon Islands */
    {"SC", "SYC", "seychelles|republic of seychelles"}, /* Seychelles */
    {"SD", "SDN", "sudan|republic of the sudan"}, /* Sudan */
    {"SE", "SWE", "sweden|kingdom of sweden"}, /* Sweden */
    {"SG", "SGP", "singapore|republic of singapore"}, /* Singapore */
    {"SH", "SHN", "saint helena ascension and tristan da cunha|ascension and tristan da cunha saint helena"}, /* Saint Helena, Ascension and Tristan da Cunha */
    {"SI", "SVN", "slovenia|republic of slovenia"}, /* Slovenia */
    {"SJ", "SJM", "svalbard and jan mayen"}, /* Svalbard and Jan Mayen */
    {"SK", "SVK", "slovakia|slovak republic"}, /* Slovakia */
    {"SL", "SLE", "sierra leone|republic of sierra leone"}, /* Sierra Leone */
    {"SM", "SMR", "san marino|republic of san marino"}, /* San Marino */
    {"SN", "SEN", "senegal|republic of senegal"}, /* Senegal */
    {"SO", "SOM", "somalia|federal republic of somalia"}, /* Somalia */
    {"SR", "SUR", "suriname|republic of suriname"}, /* Suriname */
    {"SS", "SSD", "south sudan|republic of south sudan"}, /* South Sudan */
    {"ST", "STP", "sao tome and principe|democratic republic of sao tome and principe"}, /* Sao Tome and Principe */
    {"SV", "SLV", "el salvador|republic of el salvador"}, /* El Salvador */
    {"SX", "SXM", "sint maarten dutch part"}, /* Sint Maarten (Dutch part) */
    {"SY", "SYR", "syrian arab republic|syria"}, /* Syria */
    {"SZ", "SWZ", "eswatini|kingdom of eswatini|swaziland"}, /* Eswatini */
    {"TC", "TCA", "turks and caicos islands"}, /* Turks and Caicos Islands */
    {"TD", "TCD", "chad|republic of chad"}, /* Chad */
    {"TF", "ATF", "french southern territories"}, /* French Southern Territories */
    {"TG", "TGO", "togo|togolese republic"}, /* Togo */
    {"TH", "THA", "thailand|kingdom of thailand"}, /* Thailand */
    {"TJ", "TJK", "tajikistan|republic of tajikistan"}, /* Tajikistan */
    {"TK", "TKL", "tokelau"}, /* Tokelau */
    {"TL", "TLS", "timor leste|democratic republic of timor leste"}, /* Timor-Leste */
    {"TM", "TKM", "turkmenistan"}, /* Turkmenistan */
    {"TN", "TUN", "tunisia|republic of tunisia"}, /* Tunisia */
    {"TO", "TON", "tonga|kingdom of tonga"}, /* Tonga */
    {"TR", "TUR", "turkiye|türkiye|republic of turkiye|republic of türkiye|turkey"}, /* Türkiye */
    {"TT", "TTO", "trinidad and tobago|republic of trinidad and tobago"}, /* Trinidad and Tobago */
    {"TV", "TUV", "tuvalu"}, /* Tuvalu */
    {"TW", "TWN", "taiwan province of china|province of china taiwan|taiwan|republic of china|chinese taipei"}, /* Taiwan */
    {"TZ", "TZA", "tanzania united republic of|united republic of tanzania|tanzania"}, /* Tanzania */
    {"UA", "UKR", "ukraine"}, /* Ukraine */
    {"UG", "UGA", "uganda|republic of uganda"}, /* Uganda */
    {"UM", "UMI", "united states minor outlying islands"}, /* United States Minor Outlying Islands */
    {"US", "USA", "united states|united states of america|usa|us"}, /* United States */
    {"UY", "URY", "uruguay|eastern republic of uruguay"}, /* Uruguay */
    {"UZ", "UZB", "uzbekistan|republic of uzbekistan"}, /* Uzbekistan */
    {"VA", "VAT", "holy see vatican city state|vatican|holy see|vatican city"}, /* Holy See (Vatican City State) */
    {"VC", "VCT", "saint vincent and the grenadines"}, /* Saint Vincent and the Grenadines */
    {"VE", "VEN", "venezuela bolivarian republic of|bolivarian republic of venezuela|venezuela"}, /* Venezuela */
    {"VG", "VGB", "virgin islands british|british virgin islands"}, /* Virgin Islands, British */
    {"VI", "VIR", "virgin islands us|us virgin islands|virgin islands of the united states"}, /* Virgin Islands, U.S. */
    {"VN", "VNM", "viet nam|vietnam|socialist republic of viet nam"}, /* Vietnam */
    {"VU", "VUT", "vanuatu|republic of vanuatu"}, /* Vanuatu */
    {"WF", "WLF", "wallis and futuna"}, /* Wallis and Futuna */
    {"WS", "WSM", "samoa|independent state of samoa"}, /* Samoa */
    {"YE", "YEM", "yemen|republic of yemen"}, /* Yemen */
    {"YT", "MYT", "mayotte"}, /* Mayotte */
    {"ZA", "ZAF", "south africa|republic of south africa"}, /* South Africa */
    {"ZM", "ZMB", "zambia|republic of zambia"}, /* Zambia */
    {"ZW", "ZWE", "zimbabwe|republic of zimbabwe"}, /* Zimbabwe */
};
/* clang-format on */

static bool
upper(char c)
{
    return c >= 'A' && c <= 'Z';
}

bool
iso_country_code(const char *s)
{
    return s != NULL && strlen(s) == 2 && upper(s[0]) && upper(s[1]);
}

bool
iso_region_code(const char *s)
{
    size_t n = s != NULL ? strlen(s) : 0;
    if (n < 4 || n > 6 || !upper(s[0]) || !upper(s[1]) || s[2] != '-')
        return false;
    for (size_t i = 3; i < n; i++)
        if (!upper(s[i]) && !(s[i] >= '0' && s[i] <= '9'))
            return false;
    return true;
}

/* Writes s normalised into out (cap bytes): ASCII lower-cased,
 * apostrophes and full stops dropped, every other run of ASCII
 * punctuation or space one space, a leading "the " dropped; bytes beyond
 * ASCII kept. Returns its length, or 0 if s is empty or too long. */
static size_t
norm(const char *s, char *out, size_t cap)
{
    size_t n = 0;
    bool space = false;
    for (; *s != '\0'; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '\'' || c == '.')
            continue;
        /* U+2019, the typographic apostrophe. */
        if (c == 0xE2 && (unsigned char)s[1] == 0x80 && (unsigned char)s[2] == 0x99) {
            s += 2;
            continue;
        }
        bool word = c >= 0x80 || (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || upper((char)c);
        if (!word) {
            space = true;
            continue;
        }
        if (n + 2 >= cap)
            return 0;
        if (space && n > 0)
            out[n++] = ' ';
        space = false;
        out[n++] = upper((char)c) ? (char)(c - 'A' + 'a') : (char)c;
    }
    out[n] = '\0';
    if (n > 4 && memcmp(out, "the ", 4) == 0) {
        memmove(out, out + 4, n - 3);
        n -= 4;
    }
    return n;
}

const char *
iso_country_find(const char *s)
{
    /* An alpha-3 code only in capitals: lower-cased, too many are words
     * ("can", "and", "per"). */
    for (size_t k = 0; s != NULL && strlen(s) == 3 && k < sizeof countries / sizeof countries[0];
         k++)
        if (strcmp(countries[k].alpha3, s) == 0)
            return countries[k].code;
    char key[NAME_MAX_LEN + 1];
    size_t n = s != NULL ? norm(s, key, sizeof key) : 0;
    if (n == 0)
        return NULL;
    for (size_t k = 0; k < sizeof countries / sizeof countries[0]; k++) {
        const char *p = countries[k].keys;
        for (;;) {
            const char *bar = strchr(p, '|');
            size_t len = bar != NULL ? (size_t)(bar - p) : strlen(p);
            if (len == n && memcmp(p, key, n) == 0)
                return countries[k].code;
            if (bar == NULL)
                break;
            p = bar + 1;
        }
    }
    return NULL;
}
