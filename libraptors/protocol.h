/*
 * The call protocol: every operation is one call of raptors_call(block), the
 * block a caller-owned array of int64 words. This header is its one
 * definition; raptors_protocol() describes it as JSON (word offsets, flags,
 * operation and dtype ids, return codes), which is how the Python binding
 * learns every constant, checked by RAPTORS_ABI_VERSION.
 *
 *   word CODE     operation | dtype << 8 | flags (RAPTORS_CALL_*) | sum << 24: for a
 *                 reduction, 1 + the dtype of out and of its additions (0: x's dtype)
 *   word NDIM     the iteration's dimensions, or with RAPTORS_CALL_CONTIG the
 *                 element count n of contiguous operands (no shapes follow)
 *   words X, Y, OUT  the operands' data addresses; with
 *                 RAPTORS_CALL_REFS each is the address where the data pointer
 *                 is kept (an ndarray's data field), read at call time
 *   word AXIS     reductions: the reduced axes, bit d for axis d (RAPTORS_ALL_AXES: all)
 *   word BUFSIZE  reductions: NumPy's np.getbufsize() (it decides NumPy's order
 *                 for views that do not coalesce)
 *   words X_NDIM, Y_NDIM  each input's own dimension count (<= NDIM)
 *   then, from word SHAPE on, without gaps:
 *                 shape[NDIM]  the result's shape (a reduction: x's shape)
 *                 x_shape[X_NDIM], x_strides[X_NDIM]
 *                 y_shape[Y_NDIM], y_strides[Y_NDIM]
 *                 out_strides[NDIM]  (a reduction: 0 along reduced axes)
 * Strides are in bytes, any sign. Inputs broadcast to the result as in NumPy
 * (aligned on the right; a length-1 or missing axis repeats); a 0-d input is
 * a scalar. A reduction's Y is 0, or for nansum of floats into a float dtype where
 * the numbers it added (not NaN) are counted, laid out as OUT and in its dtype:
 * the sum and the count of one read (dask's nanmean chunk).
 * With RAPTORS_CALL_CONTIG, X, Y and OUT are n contiguous elements
 * (Y may be 0-d: one element, for scale).
 *
 * RAPTORS_CALL_Y_VALUE (with CONTIG and SCALAR_Y): the Y word is y itself, not an
 * address -- its dtype's bits in the word's first bytes, as the caller packed them
 * (Python's struct rounds a float to float32 as ctypes does). A caller with a scalar
 * then needs no cell of its own for it: the block is all it passes.
 *
 * RAPTORS_CALL_ARRAYS (with REFS and CONTIG, element-wise): X, Y and OUT are NumPy
 * arrays (X and OUT only, with SCALAR_Y and Y_VALUE) -- each word plus NDIM the address
 * of an ndarray's data field, after which NumPy's C ABI keeps its dimension count,
 * shape and flags (PyArrayObject_fields) -- and the library checks what a caller would
 * otherwise check one attribute at a time: one shape and one dtype object (NumPy's
 * descr; the CODE word's dtype is x's) for the arrays, each C-contiguous and aligned,
 * out writeable; n is the shape's product. So NDIM is the field's offset in an array
 * object (0 to 64: words that name the fields take 0), which spares the caller three
 * additions (id(x) + 16) per call. Not so: RAPTORS_ELAYOUT, nothing written. The
 * Python binding checks the layout at import before it uses this.
 */
#ifndef RAPTORS_PROTOCOL_H
#define RAPTORS_PROTOCOL_H

#define RAPTORS_CALL_WORDS(W)                                                                      \
    W(CODE) W(NDIM) W(X) W(Y) W(OUT) W(AXIS) W(BUFSIZE) W(X_NDIM) W(Y_NDIM) W(SHAPE)
#define RAPTORS_CALL_WORD_(name) RAPTORS_CALL_##name,
enum { RAPTORS_CALL_WORDS(RAPTORS_CALL_WORD_) };

/* X(NAME, bit): flags in the CODE word, above the operation and dtype bytes. */
#define RAPTORS_CALL_FLAGS(X)                                                                      \
    X(REFS, 0x10000)     /* addresses are references to data pointers */                          \
    X(CONTIG, 0x20000)   /* n contiguous elements, no shapes */                                    \
    X(SCALAR_Y, 0x40000) /* with CONTIG: y is one element (0-d) */                                 \
    X(BUFFERED, 0x80000) /* reductions: x is a copy NumPy would have cast (byte-swapped) */   \
    X(OUT_VOTES, 0x100000) /* reductions: out was given; its strides vote in the order */       \
    X(ARRAYS, 0x200000) /* with REFS and CONTIG: NumPy arrays, shapes and flags read there */ \
    X(Y_VALUE, 0x400000) /* with CONTIG and SCALAR_Y: the Y word is y's value */
#define RAPTORS_CALL_FLAG_(name, bit) RAPTORS_CALL_##name = bit,
enum { RAPTORS_CALL_FLAGS(RAPTORS_CALL_FLAG_) };
#define RAPTORS_CALL_DTYPE_SHIFT 8
#define RAPTORS_CALL_SUM_SHIFT 24

/* The reduced-axes word for a reduction over every axis (one element out). */
#define RAPTORS_ALL_AXES (-1)
/* Words a block needs at most: the fixed words, then 6 x RAPTORS_MAX_DIMS. */
#define RAPTORS_CALL_MAX_WORDS (RAPTORS_CALL_SHAPE + 6 * RAPTORS_MAX_DIMS)

#endif
