/*
 * gen_roster.c — synthetic household roster generator for 江州县 (Anxin demo).
 *
 * Writes a clean, realistic household roster CSV (UTF-8 with BOM, CRLF line
 * endings, as Excel exports it) for the fictional county 江州县 (statistical
 * division prefix 439901).  Output is a pure function of --seed and
 * --households: only a self-contained splitmix64 PRNG and integer arithmetic
 * are used, so the bytes are identical on every machine and libc.
 *
 * Build:  gcc -std=c11 -Wall -Wextra -Werror -O2 -o gen_roster tools/gen_roster.c
 * Usage:  gen_roster [--seed N] [--households N] [-o FILE]
 *
 * Region model
 *   county    439901000000               江州县
 *   township  439901TTT000               TTT: 001-002 街道, 101-104 镇, 201-202 乡
 *   village   439901TTTVVV               VVV: 001..   社区, 201..   村
 *   grid      439901TTTVVVGGG (15 digit) GGG: 001..   第一网格, 第二网格, ...
 *
 * Columns: 户号,乡镇,乡镇代码,村（社区）,村（社区）代码,网格,网格代码,联系电话,人口
 *
 * A summary line is printed to stderr.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_SEED       20151ULL
#define DEFAULT_HOUSEHOLDS 20000L
#define MAX_HOUSEHOLDS     999999L /* household id is JZ + 6 digits */

#define COUNTY_PREFIX "439901"

/* ------------------------------------------------------------------ PRNG */

typedef struct {
    uint64_t s;
} rng_t;

static uint64_t rng_next(rng_t *r)
{
    uint64_t z = (r->s += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

/* Uniform integer in [0, n), n > 0, without modulo bias. */
static uint64_t rng_below(rng_t *r, uint64_t n)
{
    uint64_t limit = UINT64_MAX - (UINT64_MAX % n);
    uint64_t x;
    do {
        x = rng_next(r);
    } while (x >= limit);
    return x % n;
}

/* Uniform integer in [lo, hi]. */
static int rng_range(rng_t *r, int lo, int hi)
{
    return lo + (int)rng_below(r, (uint64_t)(hi - lo + 1));
}

/* Pick an index according to integer weights. */
static int rng_weighted(rng_t *r, const int *w, int n)
{
    int total = 0;
    for (int i = 0; i < n; i++)
        total += w[i];
    int x = (int)rng_below(r, (uint64_t)total);
    for (int i = 0; i < n; i++) {
        if (x < w[i])
            return i;
        x -= w[i];
    }
    return n - 1;
}

static void shuffle_strs(rng_t *r, const char **a, int n)
{
    for (int i = n - 1; i > 0; i--) {
        int j = (int)rng_below(r, (uint64_t)i + 1);
        const char *t = a[i];
        a[i] = a[j];
        a[j] = t;
    }
}

/* ------------------------------------------------------------ name pools */

typedef enum { T_JIEDAO, T_ZHEN, T_XIANG } ttype_t;

typedef struct {
    const char *name;
    const char *stem; /* used for the 镇 seat community, e.g. 石桥社区 */
    int seg;          /* 3-digit township segment */
    ttype_t type;
} township_def_t;

static const township_def_t TOWNSHIPS[] = {
    {"城关街道", "城关", 1, T_JIEDAO},
    {"江南街道", "江南", 2, T_JIEDAO},
    {"石桥镇", "石桥", 101, T_ZHEN},
    {"白沙镇", "白沙", 102, T_ZHEN},
    {"柳溪镇", "柳溪", 103, T_ZHEN},
    {"青山镇", "青山", 104, T_ZHEN},
    {"杨梅乡", "杨梅", 201, T_XIANG},
    {"龙潭乡", "龙潭", 202, T_XIANG},
};
#define N_TOWNSHIPS ((int)(sizeof TOWNSHIPS / sizeof TOWNSHIPS[0]))

/* Urban community names (街道).  Disjoint from township stems. */
static const char *COMMUNITY_POOL[] = {
    "滨江社区", "解放社区", "文昌社区", "东门社区", "西门社区", "南门社区",
    "北门社区", "新华社区", "人民社区", "朝阳社区", "建设社区", "和平社区",
    "城东社区", "城西社区", "望江社区", "学府社区", "花园社区", "沿河社区",
    "凤凰社区", "锦绣社区", "春华社区", "桂花社区", "翠湖社区", "青云社区",
    "长青社区", "紫荆社区", "金桥社区", "龙湾社区", "府前社区", "育才社区",
    "景苑社区", "阳光社区", "幸福社区", "五里社区", "江湾社区", "书院社区",
};
#define N_COMMUNITY_POOL ((int)(sizeof COMMUNITY_POOL / sizeof COMMUNITY_POOL[0]))

/* Rural village names (镇/乡). */
static const char *VILLAGE_POOL[] = {
    "枫树村",   "王家坪村", "李家湾村", "张家岭村", "刘家冲村", "陈家垅村",
    "黄泥塘村", "大塘村",   "小塘村",   "石门村",   "桃源村",   "杏花村",
    "竹林村",   "松坡村",   "梅岭村",   "荷叶塘村", "新屋村",   "老屋场村",
    "上坪村",   "下坪村",   "中洲村",   "沙洲村",   "河口村",   "坳头村",
    "岭下村",   "塘边村",   "山背村",   "田心村",   "黄坡村",   "红星村",
    "光明村",   "前进村",   "胜利村",   "团结村",   "联合村",   "双溪村",
    "三江村",   "四方村",   "五里牌村", "六合村",   "七星村",   "八角村",
    "九龙村",   "十里村",   "百花村",   "千秋村",   "茶山村",   "油榨村",
    "牛栏坑村", "马鞍山村", "羊角村",   "鹿鸣村",   "凤形村",   "龙口村",
    "虎形村",   "金鸡村",   "银杏村",   "铜锣村",   "铁炉村",   "桥头村",
    "渡头村",   "庙前村",   "祠堂村",   "石坝村",   "水口村",   "高桥村",
    "长冲村",   "圳上村",   "洲头村",   "柏树村",   "樟树村",   "杉木村",
    "槐花村",   "稻田村",   "谷丰村",   "瓦窑村",   "砖屋村",   "罗家湾村",
    "周家院村", "吴家山村", "赵家坝村", "孙家桥村", "何家冲村", "曾家垄村",
    "彭家洲村", "邓家岭村",
};
#define N_VILLAGE_POOL ((int)(sizeof VILLAGE_POOL / sizeof VILLAGE_POOL[0]))

static const char *GRID_NAMES[] = {
    "第一网格", "第二网格", "第三网格", "第四网格", "第五网格",
};

/* Mobile number prefixes (China Mobile / Unicom / Telecom). */
static const int PHONE_PREFIXES[] = {
    139, 138, 137, 150, 151, 152, 158, 159, 182, 187, 188, 130, 131,
    132, 155, 156, 185, 186, 133, 153, 177, 180, 181, 189, 199, 191,
};
#define N_PHONE_PREFIXES ((int)(sizeof PHONE_PREFIXES / sizeof PHONE_PREFIXES[0]))

/* --------------------------------------------------------------- model */

#define MAX_VILLAGES_PER_TS 10
#define MAX_GRIDS_PER_VIL   5
#define MAX_VILLAGES        (N_TOWNSHIPS * MAX_VILLAGES_PER_TS)
#define MAX_GRIDS           (MAX_VILLAGES * MAX_GRIDS_PER_VIL)

typedef struct {
    const char *name;
    char code[32]; /* 12 digits (sized for snprintf analysis) */
    int township;  /* index into TOWNSHIPS */
} village_t;

typedef struct {
    int village;   /* index into villages */
    int ordinal;   /* 1-based, 第N网格 */
    char code[48]; /* 15 digits (sized for snprintf analysis) */
    int weight;    /* relative size, 50..250 */
    long count;    /* households allocated */
    int sep_habit; /* separator used by this grid's data clerk */
} grid_t;

typedef struct {
    village_t villages[MAX_VILLAGES];
    int n_villages;
    grid_t grids[MAX_GRIDS];
    int n_grids;
    char ts_code[N_TOWNSHIPS][32];
} model_t;

static const char *SEPARATORS[] = {";", "；", "/", "、"};
static const int SEP_WEIGHTS[] = {40, 20, 25, 15};

static void build_model(model_t *m, uint64_t seed)
{
    rng_t r = {seed ^ 0x4A5A524F53544552ULL}; /* "JZROSTER" */

    const char *communities[N_COMMUNITY_POOL];
    const char *villages[N_VILLAGE_POOL];
    memcpy(communities, COMMUNITY_POOL, sizeof communities);
    memcpy(villages, VILLAGE_POOL, sizeof villages);
    shuffle_strs(&r, communities, N_COMMUNITY_POOL);
    shuffle_strs(&r, villages, N_VILLAGE_POOL);
    int next_comm = 0, next_vil = 0;

    m->n_villages = 0;
    m->n_grids = 0;

    for (int t = 0; t < N_TOWNSHIPS; t++) {
        const township_def_t *td = &TOWNSHIPS[t];
        snprintf(m->ts_code[t], sizeof m->ts_code[t], COUNTY_PREFIX "%03d000",
                 td->seg);

        int nv = rng_range(&r, 5, 10);
        int comm_seg = 1, vil_seg = 201;
        for (int v = 0; v < nv; v++) {
            village_t *vl = &m->villages[m->n_villages];
            vl->township = t;
            int seg;
            if (td->type == T_JIEDAO) {
                /* 20 max communities needed; pool holds 36. */
                vl->name = communities[next_comm++];
                seg = comm_seg++;
            } else if (v == 0 && (td->type == T_ZHEN || rng_below(&r, 4) == 0)) {
                /* Seat community of a 镇 (and occasionally a 乡). */
                static char seat_names[N_TOWNSHIPS][32];
                snprintf(seat_names[t], sizeof seat_names[t], "%s社区", td->stem);
                vl->name = seat_names[t];
                seg = comm_seg++;
            } else {
                /* at most 60 villages needed; pool holds 86. */
                vl->name = villages[next_vil++];
                seg = vil_seg++;
            }
            snprintf(vl->code, sizeof vl->code, COUNTY_PREFIX "%03d%03d", td->seg, seg);

            /* Urban communities tend to have more grids. */
            int ng = (td->type == T_JIEDAO) ? rng_range(&r, 3, 5) : rng_range(&r, 2, 5);
            for (int g = 0; g < ng; g++) {
                grid_t *gr = &m->grids[m->n_grids++];
                gr->village = m->n_villages;
                gr->ordinal = g + 1;
                snprintf(gr->code, sizeof gr->code, "%s%03d", vl->code, g + 1);
                gr->weight = rng_range(&r, 50, 250);
                gr->count = 0;
                gr->sep_habit = rng_weighted(&r, SEP_WEIGHTS, 4);
            }
            m->n_villages++;
        }
    }
}

/* Scale grid weights so that allocated counts sum to exactly n
 * (largest-remainder method, ties broken by grid order). */
static void allocate_households(model_t *m, long n)
{
    uint64_t wsum = 0;
    for (int i = 0; i < m->n_grids; i++)
        wsum += (uint64_t)m->grids[i].weight;

    static uint64_t rem[MAX_GRIDS];
    long assigned = 0;
    for (int i = 0; i < m->n_grids; i++) {
        uint64_t num = (uint64_t)n * (uint64_t)m->grids[i].weight;
        m->grids[i].count = (long)(num / wsum);
        rem[i] = num % wsum;
        assigned += m->grids[i].count;
    }
    while (assigned < n) {
        int best = 0;
        for (int i = 1; i < m->n_grids; i++)
            if (rem[i] > rem[best])
                best = i;
        m->grids[best].count++;
        rem[best] = 0;
        assigned++;
    }
}

/* ---------------------------------------------------------- phone set */

typedef struct {
    uint64_t *slots; /* 0 = empty */
    size_t mask;
} phoneset_t;

static int phoneset_init(phoneset_t *s, size_t expected)
{
    size_t cap = 1024;
    while (cap < expected * 2)
        cap <<= 1;
    s->slots = calloc(cap, sizeof *s->slots);
    s->mask = cap - 1;
    return s->slots ? 0 : -1;
}

/* Returns 1 if inserted, 0 if already present. */
static int phoneset_add(phoneset_t *s, uint64_t v)
{
    uint64_t h = v * 0x9E3779B97F4A7C15ULL;
    size_t i = (size_t)(h >> 17) & s->mask;
    while (s->slots[i]) {
        if (s->slots[i] == v)
            return 0;
        i = (i + 1) & s->mask;
    }
    s->slots[i] = v;
    return 1;
}

static uint64_t new_phone(rng_t *r, phoneset_t *set)
{
    for (;;) {
        uint64_t p = (uint64_t)PHONE_PREFIXES[rng_below(r, N_PHONE_PREFIXES)];
        uint64_t v = p * 100000000ULL + rng_below(r, 100000000ULL);
        if (phoneset_add(set, v))
            return v;
    }
}

/* Format one phone number in one of the ways spreadsheet exports show them. */
static void format_phone(rng_t *r, uint64_t v, char *out, size_t outsz)
{
    char d[24];
    snprintf(d, sizeof d, "%011llu", (unsigned long long)v);
    static const int w[] = {80, 7, 6, 4, 3};
    switch (rng_weighted(r, w, 5)) {
    case 0: snprintf(out, outsz, "%s", d); break;
    case 1: snprintf(out, outsz, "%.3s %.4s %.4s", d, d + 3, d + 7); break;
    case 2: snprintf(out, outsz, "%.3s-%.4s-%.4s", d, d + 3, d + 7); break;
    case 3: snprintf(out, outsz, "+86 %s", d); break;
    default: snprintf(out, outsz, "86-%s", d); break;
    }
}

/* ---------------------------------------------------------------- CSV */

/* Write one field per RFC 4180: quote if it contains , " CR or LF. */
static void csv_field(FILE *f, const char *s)
{
    if (strpbrk(s, ",\"\r\n") == NULL) {
        fputs(s, f);
        return;
    }
    fputc('"', f);
    for (; *s; s++) {
        if (*s == '"')
            fputc('"', f);
        fputc(*s, f);
    }
    fputc('"', f);
}

/* 户主 names: common surnames and given names; drawn from their own
 * stream so every other column is as it was before they were added. */
static const char *const SURNAMES[] = {
    "王", "李", "张", "刘", "陈", "杨", "黄", "赵", "周", "吴", "徐", "孙",
    "胡", "朱", "高", "林", "何", "郭", "马", "罗", "梁", "宋", "郑", "谢",
    "唐", "韩", "曹", "许", "邓", "冯", "彭", "曾", "肖", "田", "董", "袁",
    "潘", "蒋", "蔡", "余", "杜", "叶", "程", "魏", "苏", "吕", "丁", "任",
    "欧阳", "司马"};
static const char *const GIVEN[] = {
    "伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳",
    "杰", "娟", "涛", "明", "超", "秀英", "桂英", "建华", "建国", "志强",
    "国强", "海燕", "玉兰", "红梅", "德明", "春生", "金凤", "永福"};

/* Household size 1..7, peaking at 3-4, with a fair share of elderly
 * single-person and couple households left behind by migration. */
static const int MEMBER_WEIGHTS[] = {13, 20, 25, 21, 12, 6, 3};

/* Phones: ~8 % none, ~70 % one, ~22 % two (the raw weights below give a
 * little extra to "two" to offset the single-person adjustment in main). */
static const int PHONE_COUNT_WEIGHTS[] = {8, 69, 23};

static void usage(FILE *f, const char *prog)
{
    fprintf(f,
            "usage: %s [--seed N] [--households N] [-o FILE]\n"
            "  --seed N        PRNG seed (default %llu)\n"
            "  --households N  number of households, 1..%ld (default %ld)\n"
            "  -o FILE         write CSV to FILE instead of stdout\n",
            prog, (unsigned long long)DEFAULT_SEED, MAX_HOUSEHOLDS, DEFAULT_HOUSEHOLDS);
}

static int parse_u64(const char *s, uint64_t *out)
{
    if (!s || !*s || *s == '-' || *s == '+')
        return -1;
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || *end)
        return -1;
    *out = (uint64_t)v;
    return 0;
}

int main(int argc, char **argv)
{
    uint64_t seed = DEFAULT_SEED;
    long households = DEFAULT_HOUSEHOLDS;
    const char *outpath = NULL;

    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *val = NULL;
        int which = 0; /* 1 seed, 2 households, 3 output */
        size_t alen = 0;

        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            usage(stdout, argv[0]);
            return 0;
        } else if (strncmp(a, "--seed", alen = 6) == 0 && (a[6] == '\0' || a[6] == '=')) {
            which = 1;
        } else if (strncmp(a, "--households", alen = 12) == 0 &&
                   (a[12] == '\0' || a[12] == '=')) {
            which = 2;
        } else if (strcmp(a, "-o") == 0 || strcmp(a, "--output") == 0) {
            which = 3;
            alen = strlen(a);
        } else if (strncmp(a, "--output=", 9) == 0) {
            which = 3;
            alen = 8;
        } else {
            fprintf(stderr, "%s: unknown argument '%s'\n", argv[0], a);
            usage(stderr, argv[0]);
            return 2;
        }

        if (a[alen] == '=') {
            val = a + alen + 1;
        } else if (i + 1 < argc) {
            val = argv[++i];
        } else {
            fprintf(stderr, "%s: option '%s' needs a value\n", argv[0], a);
            return 2;
        }

        uint64_t v;
        switch (which) {
        case 1:
            if (parse_u64(val, &seed) != 0) {
                fprintf(stderr, "%s: invalid seed '%s'\n", argv[0], val);
                return 2;
            }
            break;
        case 2:
            if (parse_u64(val, &v) != 0 || v < 1 || v > (uint64_t)MAX_HOUSEHOLDS) {
                fprintf(stderr, "%s: --households must be 1..%ld\n", argv[0],
                        MAX_HOUSEHOLDS);
                return 2;
            }
            households = (long)v;
            break;
        default:
            if (!*val) {
                fprintf(stderr, "%s: empty output file name\n", argv[0]);
                return 2;
            }
            outpath = val;
            break;
        }
    }

    static model_t m;
    build_model(&m, seed);
    allocate_households(&m, households);

    phoneset_t phones;
    if (phoneset_init(&phones, (size_t)households * 2) != 0) {
        fprintf(stderr, "%s: out of memory\n", argv[0]);
        return 1;
    }

    FILE *f = stdout;
    if (outpath) {
        f = fopen(outpath, "wb");
        if (!f) {
            fprintf(stderr, "%s: cannot open '%s': %s\n", argv[0], outpath, strerror(errno));
            return 1;
        }
    }

    rng_t r = {seed ^ 0x484F555345484F4CULL}; /* "HOUSEHOL" */
    rng_t rn = {seed ^ 0x4845414441444452ULL}; /* "HEADADDR": 户主, 住址 */

    fputs("\xEF\xBB\xBF", f);
    fputs("户号,乡镇,乡镇代码,村（社区）,村（社区）代码,网格,网格代码,联系电话,人口,户主,住址\r\n", f);

    long serial = 0, no_phone = 0, n_phones = 0, population = 0;
    for (int g = 0; g < m.n_grids; g++) {
        const grid_t *gr = &m.grids[g];
        const village_t *vl = &m.villages[gr->village];
        const township_def_t *td = &TOWNSHIPS[vl->township];

        for (long k = 0; k < gr->count; k++) {
            char id[24];
            snprintf(id, sizeof id, "JZ%06ld", ++serial);

            int members = 1 + rng_weighted(&r, MEMBER_WEIGHTS, 7);
            int nph = rng_weighted(&r, PHONE_COUNT_WEIGHTS, 3);
            /* Elderly single-person households are less likely to have a
             * second number on file. */
            if (members == 1 && nph == 2 && rng_below(&r, 2) == 0)
                nph = 1;

            char cell[128] = "";
            for (int p = 0; p < nph; p++) {
                char one[48];
                format_phone(&r, new_phone(&r, &phones), one, sizeof one);
                if (p > 0) {
                    /* Clerks mostly stick to their habit. */
                    int sep = rng_below(&r, 10) < 8 ? gr->sep_habit
                                                    : rng_weighted(&r, SEP_WEIGHTS, 4);
                    strcat(cell, SEPARATORS[sep]);
                }
                strcat(cell, one);
            }
            if (nph == 0)
                no_phone++;
            n_phones += nph;
            population += members;

            char members_s[16];
            snprintf(members_s, sizeof members_s, "%d", members);

            csv_field(f, id);
            fputc(',', f);
            csv_field(f, td->name);
            fputc(',', f);
            csv_field(f, m.ts_code[vl->township]);
            fputc(',', f);
            csv_field(f, vl->name);
            fputc(',', f);
            csv_field(f, vl->code);
            fputc(',', f);
            csv_field(f, GRID_NAMES[gr->ordinal - 1]);
            fputc(',', f);
            csv_field(f, gr->code);
            fputc(',', f);
            csv_field(f, cell);
            fputc(',', f);
            csv_field(f, members_s);
            /* 户主 and the door: 组 by grid, numbered along the lane */
            char head[32], addr[160];
            snprintf(head, sizeof head, "%s%s",
                     SURNAMES[rng_below(&rn, sizeof SURNAMES / sizeof *SURNAMES)],
                     GIVEN[rng_below(&rn, sizeof GIVEN / sizeof *GIVEN)]);
            snprintf(addr, sizeof addr, "%s%d组%ld号", vl->name, gr->ordinal,
                     k + 1 + (long)rng_below(&rn, 3) * 100);
            fputc(',', f);
            csv_field(f, head);
            fputc(',', f);
            csv_field(f, addr);
            fputs("\r\n", f);
        }
    }

    int failed = ferror(f) != 0;
    if (f != stdout) {
        if (fclose(f) != 0)
            failed = 1;
    } else if (fflush(f) != 0) {
        failed = 1;
    }
    free(phones.slots);
    if (failed) {
        fprintf(stderr, "%s: write error\n", argv[0]);
        return 1;
    }

    fprintf(stderr,
            "gen_roster: seed=%llu townships=%d villages=%d grids=%d households=%ld "
            "no_phone=%ld phones=%ld population=%ld\n",
            (unsigned long long)seed, N_TOWNSHIPS, m.n_villages, m.n_grids, serial,
            no_phone, n_phones, population);
    return 0;
}
