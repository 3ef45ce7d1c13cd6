/* ffcnn._ffcnn: the CPython binding of libffcnn (include/ffcnn.h), one thin layer under the
 * Python package (ffcnn/__init__.py), which checks and converts numpy arrays and gives the
 * numpy user's API. Here: a Net type over ffcnn_net, the configuration as a dict, data sets as
 * (pixels, labels) buffers, and the library's errors as Python exceptions carrying its one-line
 * message. Training, evaluation, scores and CAMs run with the GIL released; training checks for
 * signals (Ctrl-C) before every step, through the library's should_stop hook, and stops with
 * the network at a step boundary (consistent and savable). */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <stdint.h>
#include <string.h>

#include "ffcnn.h"

static PyObject *FormatError;  /* ffcnn.FormatError(OSError, ValueError): a malformed file */
static PyObject *NumericError; /* ffcnn.NumericError(FloatingPointError): NaN or Inf in training */

/* The library's status as the Python exception of its kind, with its message. */
static PyObject *raise_status(int rc, const char *err) {
    PyObject *type = rc == FFCNN_EINVAL     ? PyExc_ValueError
                     : rc == FFCNN_EIO      ? PyExc_OSError
                     : rc == FFCNN_EFORMAT  ? FormatError
                     : rc == FFCNN_ENOMEM   ? PyExc_MemoryError
                     : rc == FFCNN_ENUMERIC ? NumericError
                                            : PyExc_RuntimeError;
    PyErr_SetString(type, err && err[0] ? err : "ffcnn: unknown error");
    return NULL;
}

/* ---- configuration <-> dict ---- */

static int dict_int(PyObject *d, const char *key, long lo, long hi, int32_t *out) {
    PyObject *v = PyDict_GetItemString(d, key); /* borrowed */
    if (!v) return PyErr_Format(PyExc_ValueError, "config: '%s' missing", key), -1;
    const long x = PyLong_AsLong(v);
    if (x == -1 && PyErr_Occurred()) {
        PyErr_Clear();
        return PyErr_Format(PyExc_ValueError, "%s: not an integer in %ld..%ld", key, lo, hi), -1;
    }
    if (x < lo || x > hi)
        return PyErr_Format(PyExc_ValueError, "%s: %ld is out of range %ld..%ld", key, x, lo, hi),
               -1;
    *out = (int32_t)x;
    return 0;
}

static int dict_float(PyObject *d, const char *key, float *out) {
    PyObject *v = PyDict_GetItemString(d, key);
    if (!v) return PyErr_Format(PyExc_ValueError, "config: '%s' missing", key), -1;
    const double x = PyFloat_AsDouble(v);
    if (x == -1.0 && PyErr_Occurred()) {
        PyErr_Clear();
        return PyErr_Format(PyExc_ValueError, "%s: not a number", key), -1;
    }
    *out = (float)x;
    return 0;
}

/* A dict as made by config_to_dict (every key present) into *c. */
static int dict_to_config(PyObject *d, ffcnn_config *c) {
    if (!PyDict_Check(d)) return PyErr_SetString(PyExc_TypeError, "config: a dict"), -1;
    memset(c, 0, sizeof *c);
    PyObject *layers = PyDict_GetItemString(d, "layers");
    if (!layers || !PyList_Check(layers))
        return PyErr_SetString(PyExc_ValueError, "config: 'layers' must be a list"), -1;
    const Py_ssize_t n = PyList_GET_SIZE(layers);
    if (n < 1 || n > FFCNN_MAX_LAYERS)
        return PyErr_Format(PyExc_ValueError, "net: %zd layers, but a network has 1..%d", n,
                            FFCNN_MAX_LAYERS),
               -1;
    c->n_layers = (int32_t)n;
    for (Py_ssize_t i = 0; i < n; i++) {
        int kind, filters, size;
        if (!PyArg_ParseTuple(PyList_GET_ITEM(layers, i), "iii;a layer is (kind, filters, size)",
                              &kind, &filters, &size))
            return -1;
        c->layer[i] = (ffcnn_layer_spec){kind, filters, size};
    }
    if (dict_int(d, "channels", 0, 1 << 20, &c->channels) ||
        dict_int(d, "height", 0, 1 << 20, &c->height) ||
        dict_int(d, "width", 0, 1 << 20, &c->width) ||
        dict_int(d, "classes", 0, 1 << 20, &c->classes) ||
        dict_int(d, "label_kind", 0, 100, &c->label_kind) ||
        dict_float(d, "label_k", &c->label_k) ||
        dict_int(d, "train_from", 0, 1 << 20, &c->train_from) ||
        dict_int(d, "batch", 0, INT32_MAX, &c->batch) ||
        dict_int(d, "epochs", 0, INT32_MAX, &c->epochs) || dict_float(d, "lr", &c->lr) ||
        dict_float(d, "classifier_lr", &c->classifier_lr) || dict_int(d, "algo", 0, 1, &c->algo) ||
        dict_int(d, "augment_pad", 0, 1 << 20, &c->augment_pad) ||
        dict_int(d, "augment_flip", 0, 1, &c->augment_flip) ||
        dict_int(d, "ff_loss", 0, 100, &c->ff_loss) ||
        dict_int(d, "goodness", 0, 100, &c->goodness) ||
        dict_float(d, "ff_temperature", &c->ff_temperature) ||
        dict_int(d, "negatives", 0, 100, &c->negatives))
        return -1;
    PyObject *seed = PyDict_GetItemString(d, "seed");
    if (!seed) return PyErr_SetString(PyExc_ValueError, "config: 'seed' missing"), -1;
    const unsigned long long s = PyLong_AsUnsignedLongLong(seed);
    if (s == (unsigned long long)-1 && PyErr_Occurred()) {
        PyErr_Clear();
        return PyErr_SetString(PyExc_ValueError, "seed: not an integer in 0..2^64-1"), -1;
    }
    c->seed = (uint64_t)s;
    return 0;
}

static PyObject *config_to_dict(const ffcnn_config *c) {
    PyObject *layers = PyList_New(c->n_layers);
    if (!layers) return NULL;
    for (int i = 0; i < c->n_layers; i++) {
        PyObject *t = Py_BuildValue("(iii)", (int)c->layer[i].kind, (int)c->layer[i].filters,
                                    (int)c->layer[i].size);
        if (!t) return Py_DECREF(layers), NULL;
        PyList_SET_ITEM(layers, i, t);
    }
    return Py_BuildValue(
        "{s:N,s:i,s:i,s:i,s:i,s:i,s:d,s:i,s:i,s:i,s:d,s:K,s:d,s:i,s:i,s:i,s:i,s:i,s:d,s:i}",
        "layers", layers, "channels", (int)c->channels, "height", (int)c->height, "width",
        (int)c->width, "classes", (int)c->classes, "label_kind", (int)c->label_kind, "label_k",
        (double)c->label_k, "train_from", (int)c->train_from, "batch", (int)c->batch, "epochs",
        (int)c->epochs, "lr", (double)c->lr, "seed", (unsigned long long)c->seed, "classifier_lr",
        (double)c->classifier_lr, "algo", (int)c->algo, "augment_pad", (int)c->augment_pad,
        "augment_flip", (int)c->augment_flip, "ff_loss", (int)c->ff_loss, "goodness",
        (int)c->goodness, "ff_temperature", (double)c->ff_temperature, "negatives",
        (int)c->negatives);
}

/* The FF variants' settings (docs/method.md §13): the library's names and parsers, by the
 * config dict's key. */
typedef struct variant_setting {
    const char *key;
    const char *(*name)(int v);
    int (*parse)(const char *name, int32_t *v, char *err);
} variant_setting;

static const variant_setting VARIANTS[] = {
    {"ff_loss", ffcnn_ff_loss_name, ffcnn_ff_loss_parse},
    {"goodness", ffcnn_goodness_name, ffcnn_goodness_parse},
    {"negatives", ffcnn_negatives_name, ffcnn_negatives_parse},
};

static const variant_setting *variant_of(const char *key) {
    for (size_t i = 0; i < sizeof VARIANTS / sizeof *VARIANTS; i++)
        if (strcmp(key, VARIANTS[i].key) == 0) return &VARIANTS[i];
    PyErr_Format(PyExc_ValueError, "%s: not an FF variant setting (ff_loss, goodness, negatives)",
                 key);
    return NULL;
}

/* parse_variant(key, name) -> int: the library's value of a variant's name; ValueError with the
 * library's message naming the flag for another name. */
static PyObject *py_parse_variant(PyObject *self, PyObject *args) {
    (void)self;
    const char *key, *name;
    char err[FFCNN_ERR_LEN] = "";
    if (!PyArg_ParseTuple(args, "ss", &key, &name)) return NULL;
    const variant_setting *v = variant_of(key);
    if (!v) return NULL;
    int32_t value = 0;
    const int rc = v->parse(name, &value, err);
    return rc ? raise_status(rc, err) : PyLong_FromLong(value);
}

/* variant_name(key, value) -> str ("unknown" for a value out of range). */
static PyObject *py_variant_name(PyObject *self, PyObject *args) {
    (void)self;
    const char *key;
    int value;
    if (!PyArg_ParseTuple(args, "si", &key, &value)) return NULL;
    const variant_setting *v = variant_of(key);
    return v ? PyUnicode_FromString(v->name(value)) : NULL;
}

/* is_paper_objective(config dict) -> bool: no FF variant in use. */
static PyObject *py_is_paper_objective(PyObject *self, PyObject *arg) {
    (void)self;
    ffcnn_config c;
    if (dict_to_config(arg, &c)) return NULL;
    return PyBool_FromLong(ffcnn_config_is_paper_objective(&c));
}

static PyObject *py_preset(PyObject *self, PyObject *args) {
    (void)self;
    const char *name;
    char err[FFCNN_ERR_LEN] = "";
    if (!PyArg_ParseTuple(args, "s", &name)) return NULL;
    ffcnn_config c;
    const int rc = ffcnn_config_preset(&c, name, err);
    return rc ? raise_status(rc, err) : config_to_dict(&c);
}

static PyObject *py_validate(PyObject *self, PyObject *arg) {
    (void)self;
    ffcnn_config c;
    char err[FFCNN_ERR_LEN] = "";
    if (dict_to_config(arg, &c)) return NULL;
    const int rc = ffcnn_config_validate(&c, err);
    if (rc) return raise_status(rc, err);
    Py_RETURN_NONE;
}

/* The configuration's layer list, as config_to_dict gives it. */
static PyObject *layer_list(const ffcnn_config *c) {
    PyObject *d = config_to_dict(c);
    if (!d) return NULL;
    PyObject *layers = PyDict_GetItemString(d, "layers");
    Py_XINCREF(layers);
    Py_DECREF(d);
    return layers;
}

static PyObject *py_parse_net(PyObject *self, PyObject *args) {
    (void)self;
    const char *text;
    char err[FFCNN_ERR_LEN] = "";
    if (!PyArg_ParseTuple(args, "s", &text)) return NULL;
    ffcnn_config c;
    ffcnn_config_default(&c);
    const int rc = ffcnn_config_parse_net(&c, text, err);
    return rc ? raise_status(rc, err) : layer_list(&c);
}

static PyObject *py_uniform(PyObject *self, PyObject *args) {
    (void)self;
    int layers, filters, kernel;
    char err[FFCNN_ERR_LEN] = "";
    if (!PyArg_ParseTuple(args, "iii", &layers, &filters, &kernel)) return NULL;
    ffcnn_config c;
    ffcnn_config_default(&c);
    const int rc = ffcnn_config_set_uniform(&c, layers, filters, kernel, err);
    return rc ? raise_status(rc, err) : layer_list(&c);
}

static PyObject *py_format_net(PyObject *self, PyObject *arg) {
    (void)self;
    ffcnn_config c;
    char buf[1024];
    if (dict_to_config(arg, &c)) return NULL;
    ffcnn_config_format_net(&c, buf, sizeof buf);
    return PyUnicode_FromString(buf);
}

static PyObject *py_parse_augment(PyObject *self, PyObject *args) {
    (void)self;
    const char *text;
    char err[FFCNN_ERR_LEN] = "";
    if (!PyArg_ParseTuple(args, "s", &text)) return NULL;
    ffcnn_config c;
    ffcnn_config_default(&c);
    const int rc = ffcnn_augment_parse(&c, text, err);
    if (rc) return raise_status(rc, err);
    return Py_BuildValue("(ii)", (int)c.augment_pad, (int)c.augment_flip);
}

static PyObject *py_format_augment(PyObject *self, PyObject *args) {
    (void)self;
    int pad, flip;
    char buf[64];
    if (!PyArg_ParseTuple(args, "ii", &pad, &flip)) return NULL;
    ffcnn_config c;
    ffcnn_config_default(&c);
    c.augment_pad = pad, c.augment_flip = flip;
    ffcnn_augment_format(&c, buf, sizeof buf);
    return PyUnicode_FromString(buf);
}

static PyObject *py_lr_at_epoch(PyObject *self, PyObject *args) {
    (void)self;
    PyObject *d;
    int epoch;
    ffcnn_config c;
    if (!PyArg_ParseTuple(args, "O!i", &PyDict_Type, &d, &epoch) || dict_to_config(d, &c))
        return NULL;
    return PyFloat_FromDouble((double)ffcnn_lr_at_epoch(&c, epoch));
}

static PyObject *py_label_image(PyObject *self, PyObject *args) {
    (void)self;
    PyObject *d, *image;
    int label;
    Py_buffer in = {0}, out = {0};
    ffcnn_config c;
    char err[FFCNN_ERR_LEN] = "";
    if (!PyArg_ParseTuple(args, "O!iOw*", &PyDict_Type, &d, &label, &image, &out)) return NULL;
    int rc = 0;
    if (dict_to_config(d, &c)) goto fail;
    const size_t len = (size_t)c.channels * c.height * c.width;
    if ((size_t)out.len != len * sizeof(float)) {
        PyErr_SetString(PyExc_ValueError, "label_image: output buffer of the wrong size");
        goto fail;
    }
    if (image != Py_None) {
        if (PyObject_GetBuffer(image, &in, PyBUF_C_CONTIGUOUS)) goto fail;
        if ((size_t)in.len != len) {
            PyErr_SetString(PyExc_ValueError, "label_image: image of the wrong size");
            goto fail;
        }
    }
    rc = ffcnn_label_image(&c, label, image != Py_None ? in.buf : NULL, out.buf, err);
    if (in.obj) PyBuffer_Release(&in);
    PyBuffer_Release(&out);
    if (rc) return raise_status(rc, err);
    Py_RETURN_NONE;
fail:
    if (in.obj) PyBuffer_Release(&in);
    PyBuffer_Release(&out);
    return NULL;
}

/* ---- data sets ---- */

/* (pixels: bytearray, labels: bytearray, n, channels, height, width), and frees ds. */
static PyObject *dataset_to_tuple(ffcnn_dataset *ds) {
    const size_t len = (size_t)ds->n * ds->channels * ds->height * ds->width;
    PyObject *px = PyByteArray_FromStringAndSize((const char *)ds->pixels, (Py_ssize_t)len);
    PyObject *lb = px ? PyByteArray_FromStringAndSize((const char *)ds->labels, ds->n) : NULL;
    PyObject *t = lb ? Py_BuildValue("(NNiiii)", px, lb, (int)ds->n, (int)ds->channels,
                                     (int)ds->height, (int)ds->width)
                     : NULL;
    if (!t) Py_XDECREF(px), Py_XDECREF(lb);
    ffcnn_dataset_free(ds);
    return t;
}

static PyObject *py_load_split(PyObject *self, PyObject *args) {
    (void)self;
    PyObject *dir;
    int split, rc;
    char err[FFCNN_ERR_LEN] = "";
    if (!PyArg_ParseTuple(args, "O&i", PyUnicode_FSConverter, &dir, &split)) return NULL;
    if (split < FFCNN_SPLIT_TRAIN || split > FFCNN_SPLIT_TEST) {
        Py_DECREF(dir);
        return PyErr_Format(PyExc_ValueError, "split %d is not 0..2", split);
    }
    ffcnn_dataset ds = {0};
    PyThreadState *ts_ = PyEval_SaveThread();
    rc = ffcnn_dataset_load_split(&ds, PyBytes_AS_STRING(dir), (enum ffcnn_split)split, err);
    PyEval_RestoreThread(ts_);
    Py_DECREF(dir);
    return rc ? raise_status(rc, err) : dataset_to_tuple(&ds);
}

static PyObject *py_load_idx(PyObject *self, PyObject *args) {
    (void)self;
    PyObject *images, *labels;
    int rc;
    char err[FFCNN_ERR_LEN] = "";
    if (!PyArg_ParseTuple(args, "O&O&", PyUnicode_FSConverter, &images, PyUnicode_FSConverter,
                          &labels))
        return NULL;
    ffcnn_dataset ds = {0};
    PyThreadState *ts_ = PyEval_SaveThread();
    rc = ffcnn_dataset_load_idx(&ds, PyBytes_AS_STRING(images), PyBytes_AS_STRING(labels), err);
    PyEval_RestoreThread(ts_);
    Py_DECREF(images);
    Py_DECREF(labels);
    return rc ? raise_status(rc, err) : dataset_to_tuple(&ds);
}

static PyObject *py_load_cifar10(PyObject *self, PyObject *args) {
    (void)self;
    PyObject *dir;
    int test, rc;
    char err[FFCNN_ERR_LEN] = "";
    if (!PyArg_ParseTuple(args, "O&p", PyUnicode_FSConverter, &dir, &test)) return NULL;
    ffcnn_dataset ds = {0};
    PyThreadState *ts_ = PyEval_SaveThread();
    rc = ffcnn_dataset_load_cifar10(&ds, PyBytes_AS_STRING(dir), test, err);
    PyEval_RestoreThread(ts_);
    Py_DECREF(dir);
    return rc ? raise_status(rc, err) : dataset_to_tuple(&ds);
}

/* Pixels (and labels, unless labels is None) as a data set over the callers' buffers: both C
 * contiguous bytes; n from the pixels' length. The buffers stay held until released. */
typedef struct held_set {
    Py_buffer px, lb;
    ffcnn_dataset ds;
} held_set;

static void held_release(held_set *h) {
    if (h->px.obj) PyBuffer_Release(&h->px);
    if (h->lb.obj) PyBuffer_Release(&h->lb);
}

static int held_get(held_set *h, PyObject *pixels, PyObject *labels, int c, int hh, int w,
                    const char *what) {
    memset(h, 0, sizeof *h);
    if (c < 1 || hh < 1 || w < 1)
        return PyErr_Format(PyExc_ValueError, "%s: bad image shape %dx%dx%d", what, c, hh, w), -1;
    if (PyObject_GetBuffer(pixels, &h->px, PyBUF_C_CONTIGUOUS)) return -1;
    const Py_ssize_t len = (Py_ssize_t)c * hh * w, n = h->px.len / len;
    if (h->px.len % len || n > INT32_MAX) {
        held_release(h);
        return PyErr_Format(PyExc_ValueError, "%s: %zd bytes are not whole %dx%dx%d images", what,
                            h->px.len, c, hh, w),
               -1;
    }
    if (labels != Py_None) {
        if (PyObject_GetBuffer(labels, &h->lb, PyBUF_C_CONTIGUOUS)) return held_release(h), -1;
        if (h->lb.len != n) {
            held_release(h);
            return PyErr_Format(PyExc_ValueError, "%s: %zd images but %zd labels", what, n,
                                h->lb.len),
                   -1;
        }
    }
    h->ds = (ffcnn_dataset){(int32_t)n, c, hh, w, h->px.buf, labels != Py_None ? h->lb.buf : NULL};
    return 0;
}

static PyObject *py_fingerprint(PyObject *self, PyObject *args) {
    (void)self;
    PyObject *px, *lb;
    int c, h, w;
    held_set hs;
    if (!PyArg_ParseTuple(args, "OOiii", &px, &lb, &c, &h, &w) ||
        held_get(&hs, px, lb, c, h, w, "data"))
        return NULL;
    uint8_t fp[32];
    char hex[65];
    ffcnn_dataset_fingerprint(&hs.ds, fp);
    held_release(&hs);
    for (int i = 0; i < 32; i++) snprintf(hex + 2 * i, 3, "%02x", fp[i]);
    return PyUnicode_FromString(hex);
}

/* ---- the network ---- */

typedef struct {
    PyObject_HEAD ffcnn_net *net;
    int busy;           /* a call runs with the GIL released: no other may touch it */
    int stop_requested; /* request_stop(): training stops before its next step */
} NetObject;

static PyTypeObject NetType;

static int net_ready(NetObject *self) {
    if (!self->net) return PyErr_SetString(PyExc_ValueError, "the network was not created"), -1;
    if (self->busy)
        return PyErr_SetString(PyExc_RuntimeError,
                               "this network is in use by another thread (training or "
                               "evaluating)"),
               -1;
    return 0;
}

static PyObject *net_wrap(ffcnn_net *net) {
    NetObject *o = PyObject_New(NetObject, &NetType);
    if (!o) return ffcnn_net_free(net), NULL;
    o->net = net;
    o->busy = 0;
    o->stop_requested = 0;
    return (PyObject *)o;
}

static int Net_init(NetObject *self, PyObject *args, PyObject *kw) {
    static char *names[] = {"config", "threads", NULL};
    PyObject *d;
    int threads = 1, rc;
    ffcnn_config c;
    char err[FFCNN_ERR_LEN] = "";
    if (!PyArg_ParseTupleAndKeywords(args, kw, "O!|i", names, &PyDict_Type, &d, &threads))
        return -1;
    if (self->busy) return net_ready(self);
    if (dict_to_config(d, &c)) return -1;
    if (threads < 1 || threads > 1024)
        return PyErr_Format(PyExc_ValueError, "threads: %d is out of range 1..1024", threads), -1;
    ffcnn_net *net = NULL;
    PyThreadState *ts_ = PyEval_SaveThread();
    rc = ffcnn_net_create(&net, &c, threads, err);
    PyEval_RestoreThread(ts_);
    if (rc) return raise_status(rc, err), -1;
    ffcnn_net_free(self->net);
    self->net = net;
    return 0;
}

static void Net_dealloc(NetObject *self) {
    ffcnn_net_free(self->net);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static PyObject *py_load(PyObject *self, PyObject *args) {
    (void)self;
    PyObject *path;
    int threads = 1, rc;
    char err[FFCNN_ERR_LEN] = "";
    if (!PyArg_ParseTuple(args, "O&|i", PyUnicode_FSConverter, &path, &threads)) return NULL;
    if (threads < 1 || threads > 1024) {
        Py_DECREF(path);
        return PyErr_Format(PyExc_ValueError, "threads: %d is out of range 1..1024", threads);
    }
    ffcnn_net *net = NULL;
    PyThreadState *ts_ = PyEval_SaveThread();
    rc = ffcnn_load(&net, PyBytes_AS_STRING(path), threads, err);
    PyEval_RestoreThread(ts_);
    Py_DECREF(path);
    return rc ? raise_status(rc, err) : net_wrap(net);
}

static PyObject *Net_save(NetObject *self, PyObject *args) {
    PyObject *path;
    int rc;
    char err[FFCNN_ERR_LEN] = "";
    if (net_ready(self) || !PyArg_ParseTuple(args, "O&", PyUnicode_FSConverter, &path)) return NULL;
    self->busy = 1;
    PyThreadState *ts_ = PyEval_SaveThread();
    rc = ffcnn_save(self->net, PyBytes_AS_STRING(path), err);
    PyEval_RestoreThread(ts_);
    self->busy = 0;
    Py_DECREF(path);
    if (rc) return raise_status(rc, err);
    Py_RETURN_NONE;
}

static PyObject *Net_config(NetObject *self, PyObject *unused) {
    (void)unused;
    return net_ready(self) ? NULL : config_to_dict(ffcnn_net_config(self->net));
}

static PyObject *Net_set_threads(NetObject *self, PyObject *args) {
    int threads;
    if (net_ready(self) || !PyArg_ParseTuple(args, "i", &threads)) return NULL;
    if (threads < 1 || threads > 1024)
        return PyErr_Format(PyExc_ValueError, "threads: %d is out of range 1..1024", threads);
    ffcnn_net_set_threads(self->net, threads);
    Py_RETURN_NONE;
}

/* A library setter of one int that checks it (ffcnn_net_set_chunk, ffcnn_net_set_score_from). */
static PyObject *set_int(NetObject *self, PyObject *args, int (*set)(ffcnn_net *, int, char *)) {
    int value;
    char err[FFCNN_ERR_LEN] = "";
    if (net_ready(self) || !PyArg_ParseTuple(args, "i", &value)) return NULL;
    const int rc = set(self->net, value, err);
    if (rc) return raise_status(rc, err);
    Py_RETURN_NONE;
}

static PyObject *Net_set_chunk(NetObject *self, PyObject *args) {
    return set_int(self, args, ffcnn_net_set_chunk);
}

static PyObject *Net_set_score_from(NetObject *self, PyObject *args) {
    return set_int(self, args, ffcnn_net_set_score_from);
}

static PyObject *Net_chunk(NetObject *self, PyObject *unused) {
    (void)unused;
    return net_ready(self) ? NULL : PyLong_FromLong(ffcnn_net_chunk(self->net));
}

/* A list of path numbers (0 auto, 1 im2col, 2 fft): one for all conv layers, or one each. */
static PyObject *Net_set_conv(NetObject *self, PyObject *args) {
    PyObject *list;
    char err[FFCNN_ERR_LEN] = "";
    if (net_ready(self) || !PyArg_ParseTuple(args, "O!", &PyList_Type, &list)) return NULL;
    const Py_ssize_t n = PyList_GET_SIZE(list);
    if (n < 1 || n > FFCNN_MAX_LAYERS)
        return PyErr_Format(PyExc_ValueError, "conv: %zd paths given (1..%d)", n, FFCNN_MAX_LAYERS);
    enum ffcnn_conv_path paths[FFCNN_MAX_LAYERS];
    for (Py_ssize_t i = 0; i < n; i++) {
        const long p = PyLong_AsLong(PyList_GET_ITEM(list, i));
        if (p == -1 && PyErr_Occurred()) return NULL;
        if (p < FFCNN_CONV_AUTO || p > FFCNN_CONV_FFT)
            return PyErr_Format(PyExc_ValueError, "conv: path %ld is not 0..2", p);
        paths[i] = (enum ffcnn_conv_path)p;
    }
    const int rc = ffcnn_net_set_conv_paths(self->net, paths, (int)n, err);
    if (rc) return raise_status(rc, err);
    Py_RETURN_NONE;
}

static PyObject *Net_conv_paths(NetObject *self, PyObject *unused) {
    (void)unused;
    if (net_ready(self)) return NULL;
    const int L = ffcnn_config_conv_layers(ffcnn_net_config(self->net));
    PyObject *list = PyList_New(L);
    for (int l = 0; list && l < L; l++) {
        PyObject *s = PyUnicode_FromString(ffcnn_net_layer_conv_path(self->net, l));
        if (!s) return Py_DECREF(list), NULL;
        PyList_SET_ITEM(list, l, s);
    }
    return list;
}

static PyObject *Net_conv_paths_settled(NetObject *self, PyObject *unused) {
    (void)unused;
    return net_ready(self) ? NULL : PyBool_FromLong(ffcnn_net_conv_paths_settled(self->net));
}

static PyObject *Net_state(NetObject *self, PyObject *unused) {
    (void)unused;
    if (net_ready(self)) return NULL;
    char sha[65];
    ffcnn_net_weights_sha256(self->net, sha);
    return Py_BuildValue("{s:i,s:i,s:d,s:s}", "epochs_done", ffcnn_net_epochs_done(self->net),
                         "step_in_epoch", ffcnn_net_step_in_epoch(self->net), "last_val_accuracy",
                         ffcnn_net_last_val_accuracy(self->net), "weights_sha256", sha);
}

static PyObject *Net_data_identity(NetObject *self, PyObject *unused) {
    (void)unused;
    if (net_ready(self)) return NULL;
    const ffcnn_data_identity *id = ffcnn_net_data_identity(self->net);
    char hex[65] = "";
    int zero = 1;
    for (int i = 0; i < 32; i++) {
        snprintf(hex + 2 * i, 3, "%02x", id->fingerprint[i]);
        zero &= id->fingerprint[i] == 0;
    }
    return Py_BuildValue("{s:s,s:i,s:i,s:s}", "name", id->name, "train_limit", (int)id->train_limit,
                         "val_limit", (int)id->val_limit, "fingerprint", zero ? "" : hex);
}

static PyObject *Net_set_data_identity(NetObject *self, PyObject *args) {
    const char *name;
    int train_limit, val_limit;
    if (net_ready(self) || !PyArg_ParseTuple(args, "sii", &name, &train_limit, &val_limit))
        return NULL;
    if (strlen(name) > 63)
        return PyErr_Format(PyExc_ValueError, "data name '%s' is longer than 63 bytes", name);
    ffcnn_data_identity id = *ffcnn_net_data_identity(self->net);
    memset(id.name, 0, sizeof id.name);
    memcpy(id.name, name, strlen(name));
    id.train_limit = train_limit;
    id.val_limit = val_limit;
    ffcnn_net_set_data_identity(self->net, &id);
    Py_RETURN_NONE;
}

static PyObject *Net_class_names(NetObject *self, PyObject *unused) {
    (void)unused;
    if (net_ready(self)) return NULL;
    if (!ffcnn_net_class_name(self->net, 0)) Py_RETURN_NONE;
    const int K = ffcnn_net_config(self->net)->classes;
    PyObject *list = PyList_New(K);
    for (int k = 0; list && k < K; k++) {
        PyObject *s = PyUnicode_FromString(ffcnn_net_class_name(self->net, k));
        if (!s) return Py_DECREF(list), NULL;
        PyList_SET_ITEM(list, k, s);
    }
    return list;
}

static PyObject *Net_set_class_names(NetObject *self, PyObject *args) {
    PyObject *list;
    char err[FFCNN_ERR_LEN] = "";
    if (net_ready(self) || !PyArg_ParseTuple(args, "O", &list)) return NULL;
    if (list == Py_None) {
        ffcnn_net_set_class_names(self->net, NULL, 0, err);
        Py_RETURN_NONE;
    }
    if (!PyList_Check(list))
        return PyErr_Format(PyExc_TypeError, "class names: a list of str or None");
    const Py_ssize_t n = PyList_GET_SIZE(list);
    const int K = ffcnn_net_config(self->net)->classes;
    if (n != K)
        return PyErr_Format(PyExc_ValueError, "class names: %zd given for %d classes", n, K);
    char(*names)[64] = PyMem_Calloc((size_t)K, 64);
    if (!names) return PyErr_NoMemory();
    for (Py_ssize_t k = 0; k < n; k++) {
        Py_ssize_t len;
        PyObject *item = PyList_GET_ITEM(list, k);
        const char *s = PyUnicode_Check(item) ? PyUnicode_AsUTF8AndSize(item, &len) : NULL;
        if (!s || len > 63) {
            PyMem_Free(names);
            if (!PyErr_Occurred())
                PyErr_Format(PyExc_ValueError, "class %zd: a name is a str of 1..63 UTF-8 bytes",
                             k);
            return NULL;
        }
        memcpy(names[k], s, (size_t)len);
    }
    const int rc = ffcnn_net_set_class_names(self->net, (const char(*)[64])names, K, err);
    PyMem_Free(names);
    if (rc) return raise_status(rc, err);
    Py_RETURN_NONE;
}

/* ---- training ---- */

typedef struct train_ctx {
    int stop;
    PyObject *exc_type, *exc_value, *exc_tb; /* an exception raised by a signal handler */
    NetObject *self;
} train_ctx;

/* Before every step, with the GIL released: take it back for a moment and run the signal
 * handlers; one that raises (SIGINT's KeyboardInterrupt) stops training after the current step,
 * and its exception is raised once the library has returned. */
static int should_stop(void *user) {
    train_ctx *t = user;
    if (t->stop) return 1;
    PyGILState_STATE g = PyGILState_Ensure();
    if (t->self->stop_requested) t->stop = 1;
    if (PyErr_CheckSignals() < 0) {
        t->stop = 1;
        PyErr_Fetch(&t->exc_type, &t->exc_value, &t->exc_tb);
    }
    PyGILState_Release(g);
    return t->stop;
}

static PyObject *doubles(const double *v, int n) {
    PyObject *list = PyList_New(n);
    for (int i = 0; list && i < n; i++) {
        PyObject *x = v[i] < 0 ? Py_NewRef(Py_None) : PyFloat_FromDouble(v[i]);
        if (!x) return Py_DECREF(list), NULL;
        PyList_SET_ITEM(list, i, x);
    }
    return list;
}

static PyObject *opt_double(double v) {
    return v < 0 ? Py_NewRef(Py_None) : PyFloat_FromDouble(v);
}

/* train_epoch(pixels, labels, c, h, w, val_pixels, val_labels) -> stats dict, keys as in
 * MODEL.metrics.jsonl (epoch 1-based). */
static PyObject *Net_train_epoch(NetObject *self, PyObject *args) {
    PyObject *px, *lb, *vpx, *vlb;
    int c, h, w, rc;
    held_set tr, va;
    char err[FFCNN_ERR_LEN] = "";
    if (net_ready(self) || !PyArg_ParseTuple(args, "OOiiiOO", &px, &lb, &c, &h, &w, &vpx, &vlb))
        return NULL;
    if (lb == Py_None || (vpx != Py_None && vlb == Py_None))
        return PyErr_Format(PyExc_ValueError, "training needs labels");
    if (held_get(&tr, px, lb, c, h, w, "training set")) return NULL;
    memset(&va, 0, sizeof va);
    if (vpx != Py_None && held_get(&va, vpx, vlb, c, h, w, "validation set"))
        return held_release(&tr), NULL;
    train_ctx t = {0, NULL, NULL, NULL, self};
    ffcnn_train_hooks hooks = {NULL, NULL, should_stop, &t};
    ffcnn_epoch_stats st;
    memset(&st, 0, sizeof st);
    const int has_val = vpx != Py_None && va.ds.n > 0;
    self->busy = 1;
    PyThreadState *ts_ = PyEval_SaveThread();
    rc = ffcnn_train_epoch(self->net, &tr.ds, has_val ? &va.ds : NULL, &hooks, &st, err);
    PyEval_RestoreThread(ts_);
    self->busy = 0;
    held_release(&tr);
    held_release(&va);
    if (t.exc_type) { /* a signal handler raised: that exception wins */
        PyErr_Restore(t.exc_type, t.exc_value, t.exc_tb);
        return NULL;
    }
    if (rc == FFCNN_EINTERRUPTED && t.stop) Py_RETURN_NONE; /* request_stop() */
    if (rc) return raise_status(rc, err);
    const ffcnn_config *cfg = ffcnn_net_config(self->net);
    const int layers = cfg->algo == FFCNN_ALGO_BP ? 0 : st.layers;
    char net[1024];
    ffcnn_config_format_net(cfg, net, sizeof net);
    return Py_BuildValue(
        "{s:i,s:s,s:s,s:d,s:d,s:N,s:N,s:N,s:N,s:N,s:N}", "epoch", (int)st.epoch + 1, "algo",
        ffcnn_algo_name(cfg->algo), "net", net, "lr", (double)st.lr, "seconds", st.seconds,
        "images_per_s", opt_double(st.images_per_s), "layer_loss", doubles(st.loss, layers),
        "layer_disc_acc", doubles(st.disc_acc, layers), "classifier_loss",
        opt_double(st.classifier_loss), "classifier_acc", opt_double(st.classifier_acc),
        "val_acc_linear", opt_double(st.val_acc_linear));
}

/* ---- evaluation ---- */

/* The K x K corner of a FFCNN_MAX_CLASSES-wide confusion matrix, as a list of rows. */
static PyObject *confusion_list(const int32_t *m, int K) {
    PyObject *rows = PyList_New(K);
    for (int i = 0; rows && i < K; i++) {
        PyObject *row = PyList_New(K);
        if (!row) return Py_DECREF(rows), NULL;
        for (int j = 0; j < K; j++)
            PyList_SET_ITEM(row, j, PyLong_FromLong(m[i * FFCNN_MAX_CLASSES + j]));
        PyList_SET_ITEM(rows, i, row);
    }
    return rows;
}

/* evaluate(pixels, labels, c, h, w, mode) -> dict */
static PyObject *Net_evaluate(NetObject *self, PyObject *args) {
    PyObject *px, *lb;
    int c, h, w, mode, rc;
    held_set hs;
    char err[FFCNN_ERR_LEN] = "";
    if (net_ready(self) || !PyArg_ParseTuple(args, "OOiiii", &px, &lb, &c, &h, &w, &mode))
        return NULL;
    if (mode < FFCNN_EVAL_GOODNESS || mode > FFCNN_EVAL_BOTH)
        return PyErr_Format(PyExc_ValueError, "mode %d is not 1..3", mode);
    if (lb == Py_None) return PyErr_Format(PyExc_ValueError, "evaluation needs labels");
    if (held_get(&hs, px, lb, c, h, w, "evaluation set")) return NULL;
    ffcnn_eval_result *res = PyMem_Calloc(1, sizeof *res); /* two 100 x 100 matrices */
    if (!res) return held_release(&hs), PyErr_NoMemory();
    self->busy = 1;
    PyThreadState *ts_ = PyEval_SaveThread();
    rc = ffcnn_evaluate(self->net, &hs.ds, (enum ffcnn_eval_mode)mode, res, err);
    PyEval_RestoreThread(ts_);
    self->busy = 0;
    held_release(&hs);
    PyObject *out = NULL;
    if (rc) {
        raise_status(rc, err);
    } else {
        const int K = res->classes;
        out = Py_BuildValue(
            "{s:i,s:i,s:N,s:N,s:N,s:N,s:d,s:d}", "n", (int)res->n, "classes", K,
            "accuracy_goodness", opt_double(res->accuracy_goodness), "accuracy_linear",
            opt_double(res->accuracy_linear), "confusion_goodness",
            res->accuracy_goodness >= 0 ? confusion_list(&res->confusion_goodness[0][0], K)
                                        : Py_NewRef(Py_None),
            "confusion_linear",
            res->accuracy_linear >= 0 ? confusion_list(&res->confusion_linear[0][0], K)
                                      : Py_NewRef(Py_None),
            "seconds", res->seconds, "images_per_s", res->images_per_s);
    }
    PyMem_Free(res);
    return out;
}

/* scores(pixels, c, h, w, mode, out): out a writable C-contiguous float64 buffer of n * classes */
static PyObject *Net_scores(NetObject *self, PyObject *args) {
    PyObject *px, *outobj;
    int c, h, w, mode, rc;
    held_set hs;
    Py_buffer out;
    char err[FFCNN_ERR_LEN] = "";
    if (net_ready(self) || !PyArg_ParseTuple(args, "OiiiiO", &px, &c, &h, &w, &mode, &outobj))
        return NULL;
    if (held_get(&hs, px, Py_None, c, h, w, "images")) return NULL;
    if (PyObject_GetBuffer(outobj, &out, PyBUF_WRITABLE | PyBUF_C_CONTIGUOUS))
        return held_release(&hs), NULL;
    const int K = ffcnn_net_config(self->net)->classes;
    if ((size_t)out.len != (size_t)hs.ds.n * K * sizeof(double)) {
        PyBuffer_Release(&out);
        held_release(&hs);
        return PyErr_Format(PyExc_ValueError, "scores: output buffer of the wrong size");
    }
    self->busy = 1;
    PyThreadState *ts_ = PyEval_SaveThread();
    rc = ffcnn_scores(self->net, &hs.ds, (enum ffcnn_eval_mode)mode, out.buf, err);
    PyEval_RestoreThread(ts_);
    self->busy = 0;
    PyBuffer_Release(&out);
    held_release(&hs);
    if (rc) return raise_status(rc, err);
    Py_RETURN_NONE;
}

/* cam_layers() -> ([(conv_layer, height, width, offset)], total floats) */
static PyObject *Net_cam_layers(NetObject *self, PyObject *unused) {
    (void)unused;
    if (net_ready(self)) return NULL;
    ffcnn_cam_layer layers[FFCNN_MAX_LAYERS];
    size_t total = 0;
    const int n = ffcnn_cam_layers(self->net, layers, &total);
    PyObject *list = PyList_New(n);
    for (int i = 0; list && i < n; i++) {
        PyObject *t = Py_BuildValue("(iiin)", (int)layers[i].conv_layer, (int)layers[i].height,
                                    (int)layers[i].width, (Py_ssize_t)layers[i].offset);
        if (!t) return Py_DECREF(list), NULL;
        PyList_SET_ITEM(list, i, t);
    }
    return list ? Py_BuildValue("(Nn)", list, (Py_ssize_t)total) : NULL;
}

/* cam(pixels, c, h, w, index, cls, maps_out, logits_out): float32 buffers of the total of
 * cam_layers and of classes. */
static PyObject *Net_cam(NetObject *self, PyObject *args) {
    PyObject *px, *mobj, *lobj;
    int c, h, w, index, cls, rc;
    held_set hs;
    Py_buffer maps, logits;
    char err[FFCNN_ERR_LEN] = "";
    if (net_ready(self) ||
        !PyArg_ParseTuple(args, "OiiiiiOO", &px, &c, &h, &w, &index, &cls, &mobj, &lobj))
        return NULL;
    if (held_get(&hs, px, Py_None, c, h, w, "CAM image")) return NULL;
    if (PyObject_GetBuffer(mobj, &maps, PyBUF_WRITABLE | PyBUF_C_CONTIGUOUS))
        return held_release(&hs), NULL;
    if (PyObject_GetBuffer(lobj, &logits, PyBUF_WRITABLE | PyBUF_C_CONTIGUOUS)) {
        PyBuffer_Release(&maps);
        return held_release(&hs), NULL;
    }
    ffcnn_cam_layer layers[FFCNN_MAX_LAYERS];
    size_t total = 0;
    ffcnn_cam_layers(self->net, layers, &total);
    const int K = ffcnn_net_config(self->net)->classes;
    if ((size_t)maps.len != total * sizeof(float) || (size_t)logits.len != K * sizeof(float)) {
        PyErr_SetString(PyExc_ValueError, "cam: output buffers of the wrong size");
        rc = -100;
    } else {
        self->busy = 1;
        PyThreadState *ts_ = PyEval_SaveThread();
        rc = ffcnn_cam(self->net, &hs.ds, index, cls, maps.buf, logits.buf, err);
        PyEval_RestoreThread(ts_);
        self->busy = 0;
    }
    PyBuffer_Release(&maps);
    PyBuffer_Release(&logits);
    held_release(&hs);
    if (rc == -100) return NULL;
    if (rc) return raise_status(rc, err);
    Py_RETURN_NONE;
}

/* From any thread: request_stop(True) makes train_epoch stop before its next step (and every
 * later call before its first) and return None, until request_stop(False). */
static PyObject *Net_request_stop(NetObject *self, PyObject *args) {
    int stop;
    if (!PyArg_ParseTuple(args, "p", &stop)) return NULL;
    self->stop_requested = stop;
    Py_RETURN_NONE;
}

static PyMethodDef Net_methods[] = {
    {"request_stop", (PyCFunction)Net_request_stop, METH_VARARGS,
     "request_stop(flag): train_epoch stops before its next step and returns None while set"},
    {"save", (PyCFunction)Net_save, METH_VARARGS, "save(path): write the model file"},
    {"config", (PyCFunction)Net_config, METH_NOARGS, "config() -> dict"},
    {"set_threads", (PyCFunction)Net_set_threads, METH_VARARGS, "set_threads(n)"},
    {"set_chunk", (PyCFunction)Net_set_chunk, METH_VARARGS, "set_chunk(images)"},
    {"chunk", (PyCFunction)Net_chunk, METH_NOARGS, "chunk() -> int"},
    {"set_score_from", (PyCFunction)Net_set_score_from, METH_VARARGS,
     "set_score_from(first conv layer, 0 for every trained layer)"},
    {"set_conv", (PyCFunction)Net_set_conv, METH_VARARGS, "set_conv([path, ...])"},
    {"conv_paths", (PyCFunction)Net_conv_paths, METH_NOARGS, "conv_paths() -> [str]"},
    {"conv_paths_settled", (PyCFunction)Net_conv_paths_settled, METH_NOARGS,
     "conv_paths_settled() -> bool"},
    {"state", (PyCFunction)Net_state, METH_NOARGS, "state() -> dict"},
    {"data_identity", (PyCFunction)Net_data_identity, METH_NOARGS, "data_identity() -> dict"},
    {"set_data_identity", (PyCFunction)Net_set_data_identity, METH_VARARGS,
     "set_data_identity(name, train_limit, val_limit)"},
    {"class_names", (PyCFunction)Net_class_names, METH_NOARGS, "class_names() -> [str] | None"},
    {"set_class_names", (PyCFunction)Net_set_class_names, METH_VARARGS,
     "set_class_names([str] | None)"},
    {"train_epoch", (PyCFunction)Net_train_epoch, METH_VARARGS,
     "train_epoch(pixels, labels, c, h, w, val_pixels, val_labels) -> dict"},
    {"evaluate", (PyCFunction)Net_evaluate, METH_VARARGS,
     "evaluate(pixels, labels, c, h, w, mode) -> dict"},
    {"scores", (PyCFunction)Net_scores, METH_VARARGS, "scores(pixels, c, h, w, mode, out)"},
    {"cam_layers", (PyCFunction)Net_cam_layers, METH_NOARGS, "cam_layers() -> (list, total)"},
    {"cam", (PyCFunction)Net_cam, METH_VARARGS,
     "cam(pixels, c, h, w, index, cls, maps_out, logits_out)"},
    {NULL, NULL, 0, NULL}};

static PyTypeObject NetType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "ffcnn._ffcnn.Net",
    .tp_doc = "A libffcnn network (ffcnn_net); use ffcnn.Net, which wraps it.",
    .tp_basicsize = sizeof(NetObject),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_new = PyType_GenericNew,
    .tp_init = (initproc)Net_init,
    .tp_dealloc = (destructor)Net_dealloc,
    .tp_methods = Net_methods,
};

/* ---- the module ---- */

static PyObject *py_kernels(PyObject *self, PyObject *unused) {
    (void)self, (void)unused;
    return PyUnicode_FromString(ffcnn_kernels());
}

static PyObject *py_blas_core(PyObject *self, PyObject *unused) {
    (void)self, (void)unused;
    const char *core = ffcnn_blas_core();
    return PyUnicode_FromString(core ? core : "");
}

static PyObject *py_blas_better_core(PyObject *self, PyObject *unused) {
    (void)self, (void)unused;
    const char *core = ffcnn_blas_better_core();
    if (!core) Py_RETURN_NONE;
    return PyUnicode_FromString(core);
}

static PyMethodDef module_methods[] = {
    {"preset", py_preset, METH_VARARGS, "preset(name) -> config dict"},
    {"validate", py_validate, METH_O, "validate(config dict): ValueError naming the bad field"},
    {"parse_net", py_parse_net, METH_VARARGS, "parse_net(text) -> [(kind, filters, size)]"},
    {"uniform", py_uniform, METH_VARARGS, "uniform(layers, filters, kernel) -> layer list"},
    {"format_net", py_format_net, METH_O, "format_net(config dict) -> str"},
    {"parse_augment", py_parse_augment, METH_VARARGS, "parse_augment(text) -> (pad, flip)"},
    {"format_augment", py_format_augment, METH_VARARGS, "format_augment(pad, flip) -> str"},
    {"parse_variant", py_parse_variant, METH_VARARGS,
     "parse_variant(key, name) -> int: 'ff_loss', 'goodness' or 'negatives' by name"},
    {"variant_name", py_variant_name, METH_VARARGS, "variant_name(key, value) -> str"},
    {"is_paper_objective", py_is_paper_objective, METH_O,
     "is_paper_objective(config dict) -> bool: the paper's FF objective (no variant)"},
    {"lr_at_epoch", py_lr_at_epoch, METH_VARARGS, "lr_at_epoch(config dict, epoch) -> float"},
    {"label_image", py_label_image, METH_VARARGS,
     "label_image(config dict, label, image or None, out float32 buffer)"},
    {"load_split", py_load_split, METH_VARARGS, "load_split(dir, split) -> data tuple"},
    {"load_idx", py_load_idx, METH_VARARGS, "load_idx(images, labels) -> data tuple"},
    {"load_cifar10", py_load_cifar10, METH_VARARGS, "load_cifar10(dir, test) -> data tuple"},
    {"fingerprint", py_fingerprint, METH_VARARGS,
     "fingerprint(pixels, labels, c, h, w) -> SHA-256 hex"},
    {"load", py_load, METH_VARARGS, "load(path, threads) -> Net"},
    {"kernels", py_kernels, METH_NOARGS, "kernels() -> the hot kernels' instruction set"},
    {"blas_core", py_blas_core, METH_NOARGS, "blas_core() -> OpenBLAS's kernels (core name)"},
    {"blas_better_core", py_blas_better_core, METH_NOARGS,
     "blas_better_core() -> the OPENBLAS_CORETYPE that would give fast kernels, or None"},
    {NULL, NULL, 0, NULL}};

static struct PyModuleDef module_def = {
    PyModuleDef_HEAD_INIT,
    .m_name = "_ffcnn",
    .m_doc = "The CPython binding of libffcnn (use the ffcnn package).",
    .m_size = -1,
    .m_methods = module_methods,
};

PyMODINIT_FUNC PyInit__ffcnn(void) {
    if (PyType_Ready(&NetType) < 0) return NULL;
    PyObject *m = PyModule_Create(&module_def);
    if (!m) return NULL;
    PyObject *format_bases = PyTuple_Pack(2, PyExc_OSError, PyExc_ValueError);
    FormatError = format_bases
                      ? PyErr_NewExceptionWithDoc(
                            "ffcnn.FormatError",
                            "A file's contents are malformed (an OSError and a ValueError).",
                            format_bases, NULL)
                      : NULL;
    Py_XDECREF(format_bases);
    NumericError = PyErr_NewExceptionWithDoc(
        "ffcnn.NumericError", "NaN or Inf met while training (the model keeps its last state).",
        PyExc_FloatingPointError, NULL);
    if (!FormatError || !NumericError || PyModule_AddObjectRef(m, "FormatError", FormatError) ||
        PyModule_AddObjectRef(m, "NumericError", NumericError) ||
        PyModule_AddObjectRef(m, "Net", (PyObject *)&NetType) ||
        PyModule_AddStringConstant(m, "VERSION", FFCNN_VERSION) ||
        PyModule_AddIntConstant(m, "MAX_CLASSES", FFCNN_MAX_CLASSES) ||
        PyModule_AddIntConstant(m, "MAX_LAYERS", FFCNN_MAX_LAYERS) ||
        PyModule_AddIntConstant(m, "DEFAULT_CHUNK", FFCNN_DEFAULT_CHUNK)) {
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
