/*
 * raptors_call: the one entry point of every operation. Decodes a block
 * (protocol.h), checks every word before anything is written, broadcasts the
 * operands to the result, refuses an input that overlaps out other than as the
 * very same view, and hands the call to its family (elementwise.c, reduce.c).
 * raptors_protocol describes the block, generated from the same lists.
 */
#include "family.h"
#include "fpstatus.h"
#include "layout.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* Each operation's family, arithmetic and tuning class, from ops.h's list. */
enum { ELEMENTWISE, REDUCE };
#define RP_ARITH_sum 0 /* reductions have no element-wise arithmetic */
#define RP_ARITH_mean 0
#define RP_ARITH_nansum 0
#define RP_ARITH_nanmean 0
#define OP_INFO_(ID, name, family, arith, tuned_as)                                                \
    {family, RP_ARITH_##arith, RAPTORS_FAMILY_##tuned_as},
static const struct {
    int family, arith, tuned_as;
} op_info[RAPTORS_NOPS] = {RAPTORS_OPERATIONS(OP_INFO_)};

#define FLAG_BITS_(name, bit) | (bit)
static const int64_t KNOWN_FLAGS = 0 RAPTORS_CALL_FLAGS(FLAG_BITS_);

/* An operand's address: the word itself, or read through it under REFS. */
static char *address(int64_t code, int64_t word)
{
    void *p = (void *)(intptr_t)word;
    if ((code & RAPTORS_CALL_REFS) && p != NULL)
        return *(void *const *)p;
    return p;
}

/* What NumPy's C ABI keeps after an ndarray's object header (PyArrayObject_fields,
 * unchanged since NumPy 1.7), from the data field a REFS address names; read for
 * RAPTORS_CALL_ARRAYS. The flags are NumPy's NPY_ARRAY_* bits. */
typedef struct {
    char *data;
    int nd;
    intptr_t *dimensions, *strides;
    void *base, *descr;
    int flags;
} numpy_array_fields;
enum { NPY_C_CONTIGUOUS = 0x1, NPY_ALIGNED = 0x100, NPY_WRITEABLE = 0x400 };

/* RAPTORS_CALL_ARRAYS' NDIM word: the data field lies this far into an object at most
 * (CPython's object header is 16 bytes; a debug build's 32). */
#define ARRAYS_MAX_FIELD_OFFSET 64

/* An operand's word. Under RAPTORS_CALL_ARRAYS the words name the arrays themselves
 * and NDIM is how far into each its data field lies (dispatch_call checked its range),
 * so the data field's address is the word plus NDIM. */
static int64_t operand_word(const int64_t *a, int w)
{
    const int64_t word = a[w];
    if (word == 0 || !(a[RAPTORS_CALL_CODE] & RAPTORS_CALL_ARRAYS))
        return word;
    return word + a[RAPTORS_CALL_NDIM];
}

/* RAPTORS_CALL_ARRAYS: x, y and out (x and out, with a scalar y) of one shape and one
 * dtype object (the caller took the CODE word's dtype from x's), C-contiguous and
 * aligned, out writeable; *n their element count. */
static int simple_arrays(const int64_t *a, size_t es, size_t *n)
{
    static const int words[3] = {RAPTORS_CALL_X, RAPTORS_CALL_OUT, RAPTORS_CALL_Y};
    const int count = (a[RAPTORS_CALL_CODE] & RAPTORS_CALL_SCALAR_Y) ? 2 : 3;
    const numpy_array_fields *v[3];
    for (int i = 0; i < count; i++) {
        v[i] = (const void *)(intptr_t)operand_word(a, words[i]);
        if (v[i] == NULL)
            return RAPTORS_EINVAL;
    }
    const int nd = v[0]->nd, simple = NPY_C_CONTIGUOUS | NPY_ALIGNED;
    if (nd < 0 || nd > RAPTORS_MAX_DIMS || (v[1]->flags & NPY_WRITEABLE) == 0)
        return RAPTORS_ELAYOUT;
    int64_t shape[RAPTORS_MAX_DIMS];
    for (int i = 0; i < count; i++) {
        if (v[i]->nd != nd || (v[i]->flags & simple) != simple || v[i]->descr != v[0]->descr)
            return RAPTORS_ELAYOUT;
        for (int d = 0; d < nd; d++) {
            if (i == 0)
                shape[d] = (int64_t)v[0]->dimensions[d];
            else if ((int64_t)v[i]->dimensions[d] != shape[d])
                return RAPTORS_ELAYOUT;
        }
    }
    return rp_count_elements(nd, shape, es, 3, n) == RAPTORS_OK ? RAPTORS_OK : RAPTORS_EINVAL;
}

/* Do the byte ranges [a, a + na) and [b, b + nb) overlap without starting at the same address? */
static int overlaps(const char *a, const char *b, size_t na, size_t nb)
{
    uintptr_t p = (uintptr_t)a, q = (uintptr_t)b;
    return p != q && (p < q ? q - p < na : p - q < nb);
}

static int call_elementwise(int op, int dtype, const int64_t *a, char *x, char *y, char *out)
{
    const int64_t code = a[RAPTORS_CALL_CODE];
    const int64_t es = (int64_t)rp_element_size(dtype), zero = 0;
    int ndim = 1;
    const int64_t *shape = &a[RAPTORS_CALL_NDIM], *xs = &es, *ys = &es, *os = &es;
    int64_t xb[RAPTORS_MAX_DIMS], yb[RAPTORS_MAX_DIMS], count;
    if (code & RAPTORS_CALL_ARRAYS) {
        size_t n_arrays;
        if (!(code & RAPTORS_CALL_REFS) || !(code & RAPTORS_CALL_CONTIG))
            return RAPTORS_EINVAL; /* (a scalar y came as its value: dispatch_call checked) */
        const int rc = simple_arrays(a, (size_t)es, &n_arrays);
        if (rc != RAPTORS_OK)
            return rc;
        count = (int64_t)n_arrays;
        shape = &count;
        if (code & RAPTORS_CALL_SCALAR_Y)
            ys = &zero;
    } else if (code & RAPTORS_CALL_CONTIG) {
        if (code & RAPTORS_CALL_SCALAR_Y)
            ys = &zero;
    } else {
        if (code & RAPTORS_CALL_SCALAR_Y)
            return RAPTORS_EINVAL;
        const int64_t nd = a[RAPTORS_CALL_NDIM], xnd = a[RAPTORS_CALL_X_NDIM],
                      ynd = a[RAPTORS_CALL_Y_NDIM];
        if (nd < 0 || nd > RAPTORS_MAX_DIMS || xnd < 0 || xnd > nd || ynd < 0 || ynd > nd)
            return RAPTORS_EINVAL;
        ndim = (int)nd;
        shape = a + RAPTORS_CALL_SHAPE;
        const int64_t *xshape = shape + ndim, *xst = xshape + xnd;
        const int64_t *yshape = xst + xnd, *yst = yshape + ynd;
        os = yst + ynd;
        if (rp_broadcast_strides(ndim, shape, (int)xnd, xshape, xst, xb) != RAPTORS_OK ||
            rp_broadcast_strides(ndim, shape, (int)ynd, yshape, yst, yb) != RAPTORS_OK)
            return RAPTORS_EINVAL;
        xs = xb;
        ys = yb;
    }
    size_t n;
    if (rp_count_elements(ndim, shape, (size_t)es, 3, &n) != RAPTORS_OK)
        return RAPTORS_EINVAL;
    if (n == 0)
        return RAPTORS_OK;
    if (x == NULL || y == NULL || out == NULL)
        return RAPTORS_EINVAL;
    if (code & RAPTORS_CALL_CONTIG) { /* runs of n elements (y may be one): equal or disjoint */
        const size_t bytes = n * (size_t)es;
        if (overlaps(x, out, bytes, bytes) || overlaps(y, out, ys[0] ? bytes : (size_t)es, bytes))
            return RAPTORS_EOVERLAP;
    } else if (rp_bad_overlap(ndim, shape, x, xs, out, os, (size_t)es) ||
               rp_bad_overlap(ndim, shape, y, ys, out, os, (size_t)es)) {
        return RAPTORS_EOVERLAP;
    }
    return rp_elementwise(op_info[op].tuned_as, op_info[op].arith, dtype, ndim, shape, x, xs, y,
                          ys, out, os, n);
}

static int call_reduce(int op, int dtype, const int64_t *a, const char *x, char *out,
                       char *counts)
{
    const int64_t code = a[RAPTORS_CALL_CODE], axes = a[RAPTORS_CALL_AXIS],
                  bufsize = a[RAPTORS_CALL_BUFSIZE];
    const int64_t sum = (code >> RAPTORS_CALL_SUM_SHIFT) & 0xFF;
    const int64_t es = (int64_t)rp_element_size(dtype);
    rp_reduce_call c = {.op = op, .src = dtype, .sum_dtype = sum ? (int)sum - 1 : dtype,
                        .ndim = 1, .shape = &a[RAPTORS_CALL_NDIM], .xs = &es,
                        .axes = (uint64_t)axes, .x = x, .out = out, .counts = counts,
                        .bufsize = (size_t)bufsize,
                        .cast = (code & RAPTORS_CALL_BUFFERED) != 0,
                        .out_votes = (code & RAPTORS_CALL_OUT_VOTES) != 0};
    static const int64_t no_out = 0;
    if (bufsize <= 0 || (code & (RAPTORS_CALL_SCALAR_Y | RAPTORS_CALL_ARRAYS)) || out == NULL ||
        sum > RAPTORS_NALL_DTYPES)
        return RAPTORS_EINVAL;
    if (code & RAPTORS_CALL_CONTIG) {
        if (axes != RAPTORS_ALL_AXES)
            return RAPTORS_EINVAL;
        c.os = &no_out;
    } else {
        /* x is the iteration space: its shape is the block's, and there is no y. */
        const int64_t nd = a[RAPTORS_CALL_NDIM];
        if (nd < 0 || nd > RAPTORS_MAX_DIMS || a[RAPTORS_CALL_X_NDIM] != nd ||
            a[RAPTORS_CALL_Y_NDIM] != 0)
            return RAPTORS_EINVAL;
        if (axes != RAPTORS_ALL_AXES && nd < 64 && (uint64_t)axes >> nd != 0)
            return RAPTORS_EINVAL; /* an axis x does not have */
        c.ndim = (int)nd;
        c.shape = a + RAPTORS_CALL_SHAPE;
        const int64_t *xshape = c.shape + nd;
        c.xs = xshape + nd;
        c.os = c.xs + nd;
        if (memcmp(c.shape, xshape, (size_t)nd * sizeof *c.shape) != 0)
            return RAPTORS_EINVAL;
    }
    if (rp_count_elements(c.ndim, c.shape, (size_t)es, 2, &c.n) != RAPTORS_OK)
        return RAPTORS_EINVAL;
    if (c.n > 0 && x == NULL)
        return RAPTORS_EINVAL;
    return rp_reduce(&c);
}

static int dispatch_call(const int64_t *a);

int raptors_call(const int64_t *a)
{
    rp_fp_clear(); /* as NumPy before its loops; the workers' flags join these */
    int rc = dispatch_call(a);
    if (rc == RAPTORS_OK)
        rc = rp_fp_test();
    return rc;
}

static int dispatch_call(const int64_t *a)
{
    if (a == NULL)
        return RAPTORS_EINVAL;
    const int64_t code = a[RAPTORS_CALL_CODE];
    const int64_t op = code & 0xFF, dtype = (code >> RAPTORS_CALL_DTYPE_SHIFT) & 0xFF;
    const int64_t fields = 0xFFFF | (int64_t)0xFF << RAPTORS_CALL_SUM_SHIFT;
    if (op >= RAPTORS_NOPS || dtype >= RAPTORS_NALL_DTYPES || (code & ~fields & ~KNOWN_FLAGS))
        return RAPTORS_EINVAL;
    if (op_info[op].family != REDUCE && (dtype >= RAPTORS_NDTYPES || code >> RAPTORS_CALL_SUM_SHIFT))
        return RAPTORS_EINVAL; /* element-wise: the arithmetic dtypes, no sum dtype */
    const int64_t field = a[RAPTORS_CALL_NDIM];
    if ((code & RAPTORS_CALL_ARRAYS) && (field < 0 || field > ARRAYS_MAX_FIELD_OFFSET))
        return RAPTORS_EINVAL; /* checked before operand_word adds it to an address */
    const int64_t value = RAPTORS_CALL_CONTIG | RAPTORS_CALL_SCALAR_Y | RAPTORS_CALL_Y_VALUE;
    if ((code & RAPTORS_CALL_Y_VALUE) && (code & value) != value)
        return RAPTORS_EINVAL; /* a value is one element: never n of them read from the block */
    if ((code & RAPTORS_CALL_ARRAYS) && (code & RAPTORS_CALL_SCALAR_Y) &&
        !(code & RAPTORS_CALL_Y_VALUE))
        return RAPTORS_EINVAL; /* a scalar by address is no array: refused before it is read */
    char *x = address(code, operand_word(a, RAPTORS_CALL_X));
    char *y = (code & RAPTORS_CALL_Y_VALUE) ? (char *)(uintptr_t)&a[RAPTORS_CALL_Y]
                                            : address(code, operand_word(a, RAPTORS_CALL_Y));
    char *out = address(code, operand_word(a, RAPTORS_CALL_OUT));
    if (op_info[op].family == REDUCE)
        return call_reduce((int)op, (int)dtype, a, x, out, y);
    return call_elementwise((int)op, (int)dtype, a, x, y, out);
}

/* ---- the protocol as JSON, generated from the same lists ---- */

static char protocol[4096];
static pthread_once_t protocol_once = PTHREAD_ONCE_INIT;

__attribute__((format(printf, 2, 3))) static void put(size_t *o, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    if (*o < sizeof protocol)
        *o += (size_t)vsnprintf(protocol + *o, sizeof protocol - *o, fmt, ap);
    va_end(ap);
}

/* One "name": value member of an object; *first says whether a comma goes before it. */
#define MEMBER_(name, value) put(&o, "%s\"%s\": %lld", first ? "" : ", ", #name, (long long)(value)), first = 0;
#define WORD_JSON_(name) MEMBER_(name, RAPTORS_CALL_##name)
#define FLAG_JSON_(name, bit) MEMBER_(name, bit)
#define OP_JSON_(ID, name, family, arith, tuned_as) MEMBER_(name, RAPTORS_OP_##ID)
#define DTYPE_JSON_(ID, name, T, S, kind) MEMBER_(name, RAPTORS_DTYPE_##ID)
#define RC_JSON_(name, value) MEMBER_(name, value)
#define OBJECT_(key, list, entry)                                                                  \
    put(&o, ", \"%s\": {", key);                                                                   \
    first = 1;                                                                                     \
    list(entry) put(&o, "}");

static void write_protocol(void)
{
    size_t o = 0;
    int first;
    put(&o, "{\"abi\": %d, \"dtype_shift\": %d, \"sum_shift\": %d, \"max_dims\": %d, "
            "\"max_words\": %d, \"all_axes\": %d",
        RAPTORS_ABI_VERSION, RAPTORS_CALL_DTYPE_SHIFT, RAPTORS_CALL_SUM_SHIFT, RAPTORS_MAX_DIMS,
        RAPTORS_CALL_MAX_WORDS, RAPTORS_ALL_AXES);
    OBJECT_("words", RAPTORS_CALL_WORDS, WORD_JSON_)
    OBJECT_("flags", RAPTORS_CALL_FLAGS, FLAG_JSON_)
    OBJECT_("operations", RAPTORS_OPERATIONS, OP_JSON_)
    OBJECT_("dtypes", RAPTORS_ALL_DTYPES, DTYPE_JSON_)
    OBJECT_("return_codes", RAPTORS_RETURN_CODES, RC_JSON_)
    OBJECT_("fp_exceptions", RAPTORS_FP_EXCEPTIONS, RC_JSON_)
    OBJECT_("notes", RAPTORS_NOTES, RC_JSON_)
    put(&o, "}");
}

const char *raptors_protocol(void)
{
    pthread_once(&protocol_once, write_protocol);
    return protocol;
}

int raptors_abi_version(void) { return RAPTORS_ABI_VERSION; }
const char *raptors_version(void) { return RAPTORS_VERSION; }
