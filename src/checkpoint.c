/* Model files: the versioned checkpoint format of docs/checkpoint-format.md. Little-endian
 * throughout. Written to a temporary file, fsync'd and renamed, so a crash or a full disk never
 * leaves a half-written model in place of a good one. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <openssl/evp.h>
#include <zlib.h>

#include "network.h"
#include "util.h"

#if !defined(__BYTE_ORDER__) || __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "ffcnn's checkpoint code assumes a little-endian host"
#endif

#define CKPT_MAGIC "FFCNNCKP"
#define CKPT_VERSION 6u
/* version 1: magic 8, version 4, config 60, position 16, metrics 8, n_params 8; version 2
 * adds the conv path of each of FFCNN_MAX_LAYERS layers (one byte each) before n_params;
 * version 3 holds the layer list, the input shape and class count, and the training data's
 * identity; version 4 (docs/checkpoint-format.md) adds the training algorithm; version 5 has
 * version 4's header and, between the Adam moments and the checksum, the class names: a count
 * (int32, 0 or the class count) and that many 64-byte names, NUL-terminated and zero-padded,
 * and gives version 4's reserved field (offset 412) to the augmentation: augment_pad in bits
 * 0-7, augment_flip in bits 8-15, the rest 0. A model with neither names nor augmentation is
 * written as version 4, byte for byte as before, so that earlier builds still read it. Version
 * 6 is version 5 with a 440-byte header: four int32 fields between the augmentation and the
 * parameter count hold the FF variants (ff_loss, goodness, ff_temperature as a float, negatives);
 * it is written only for a model that uses a variant, so the paper's models stay version 4/5. */
#define CKPT_NAME_BYTES 64u
#define CKPT_HEADER_BYTES_V1 104u
#define CKPT_HEADER_BYTES_V2 120u
#define CKPT_HEADER_BYTES_V3 416u
#define CKPT_HEADER_BYTES 424u
#define CKPT_HEADER_BYTES_V6 440u

typedef struct {
    uint8_t *p;
    size_t off;
} writer;

static void put(writer *w, const void *src, size_t n) {
    memcpy(w->p + w->off, src, n);
    w->off += n;
}
static void put_i32(writer *w, int32_t v) {
    put(w, &v, 4);
}

typedef struct {
    const uint8_t *p;
    size_t off;
} reader;

static void get(reader *r, void *dst, size_t n) {
    memcpy(dst, r->p + r->off, n);
    r->off += n;
}
static int32_t get_i32(reader *r) {
    int32_t v;
    get(r, &v, 4);
    return v;
}

/* Version 5's field at offset 412 (0 = none); augment_pad and augment_flip are validated, so
 * each fits its byte. */
static int32_t augment_field(const ffcnn_config *c) {
    return (int32_t)((uint32_t)c->augment_pad | (uint32_t)c->augment_flip << 8);
}

/* Version 5 only when something needs it, so that every other model stays readable by the
 * builds that know version 4 alone. */
static int needs_v5(const ffcnn_net *net) {
    return net->n_class_names > 0 || augment_field(&net->cfg) != 0;
}

/* Version 6 only for a model trained with an FF variant (docs/method.md §13). */
static int needs_v6(const ffcnn_net *net) {
    return !ffcnn_config_is_paper_objective(&net->cfg);
}

static uint32_t file_version(const ffcnn_net *net) {
    return needs_v6(net) ? 6u : needs_v5(net) ? 5u : 4u;
}

static uint32_t header_bytes(uint32_t version) {
    return version == 1   ? CKPT_HEADER_BYTES_V1
           : version == 2 ? CKPT_HEADER_BYTES_V2
           : version == 3 ? CKPT_HEADER_BYTES_V3
           : version >= 6 ? CKPT_HEADER_BYTES_V6
                          : CKPT_HEADER_BYTES;
}

static void put_header(writer *w, const ffcnn_net *net) {
    const ffcnn_config *c = &net->cfg;
    const uint32_t version = file_version(net), header = header_bytes(version);
    put(w, CKPT_MAGIC, 8);
    put(w, &version, 4), put(w, &header, 4);
    put_i32(w, c->n_layers);
    for (int i = 0; i < FFCNN_MAX_LAYERS; i++) {
        const ffcnn_layer_spec none = {0, 0, 0}, *s = i < c->n_layers ? &c->layer[i] : &none;
        put_i32(w, s->kind), put_i32(w, s->filters), put_i32(w, s->size);
    }
    put_i32(w, c->channels), put_i32(w, c->height), put_i32(w, c->width), put_i32(w, c->classes);
    put_i32(w, c->label_kind), put(w, &c->label_k, 4), put_i32(w, c->train_from);
    put_i32(w, c->batch), put_i32(w, c->epochs), put(w, &c->lr, 4), put(w, &c->seed, 8);
    put(w, &c->classifier_lr, 4);
    put_i32(w, net->epochs_done), put_i32(w, net->step_in_epoch), put(w, &net->adam_t, 8);
    put(w, &net->last_val_linear, 8);
    uint8_t paths[FFCNN_MAX_LAYERS] = {0}; /* 0: never settled (the next run measures) */
    for (int j = 0; net->paths_settled && j < net->n_ff; j++)
        paths[j] = (uint8_t)net->layer[net->ff_index[j]].conv.path;
    put(w, paths, sizeof paths);
    put(w, net->data.name, sizeof net->data.name);
    put_i32(w, net->data.train_limit), put_i32(w, net->data.val_limit);
    put(w, net->data.fingerprint, sizeof net->data.fingerprint);
    put_i32(w, c->algo), put_i32(w, augment_field(c)); /* version 4: reserved, 0 */
    if (version >= 6) {
        put_i32(w, c->ff_loss), put_i32(w, c->goodness), put(w, &c->ff_temperature, 4);
        put_i32(w, c->negatives);
    }
    const uint64_t n = net->n_params;
    put(w, &n, 8);
}

static int write_fully(int fd, const uint8_t *p, size_t n) {
    while (n > 0) {
        ssize_t k = write(fd, p, n);
        if (k < 0 && errno == EINTR) continue;
        if (k <= 0) return -1;
        p += k, n -= (size_t)k;
    }
    return 0;
}

static int fail_errno(char *err, const char *path, int e) {
    return ff_fail(err, FFCNN_EIO, "%s: cannot write the model (%s); any previous file is kept",
                   path, strerror(e));
}

/* A device or pipe (e.g. /dev/full) is written in place: renaming over it would replace it. */
static int write_in_place(const char *path, const uint8_t *buf, size_t n, char *err) {
    int fd = open(path, O_WRONLY);
    if (fd < 0) return fail_errno(err, path, errno);
    int ok = write_fully(fd, buf, n) == 0;
    int e = errno;
    if (close(fd) != 0 && ok) ok = 0, e = errno;
    return ok ? FFCNN_OK : fail_errno(err, path, e);
}

/* The folder of path, for fsync after the rename (so the new name itself is durable). */
static void sync_parent(const char *path) {
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", path);
    char *slash = strrchr(dir, '/');
    if (slash == dir)
        slash[1] = '\0';
    else if (slash)
        *slash = '\0';
    else
        snprintf(dir, sizeof dir, ".");
    int fd = open(dir, O_RDONLY | O_DIRECTORY);
    if (fd >= 0) fsync(fd), close(fd);
}

static mode_t new_file_mode(void) {
    const mode_t mask = umask(0); /* reading the umask means setting it: put it straight back */
    umask(mask);
    return 0666 & ~mask;
}

/* Temporary file in the same folder, fsync, rename over path: a crash or a full disk leaves
 * either the old file or the new one, never a torn one. */
static int write_model_file(const char *path, const uint8_t *buf, size_t n, char *err) {
    struct stat st;
    if (stat(path, &st) == 0 && !S_ISREG(st.st_mode)) return write_in_place(path, buf, n, err);
    char tmp[4096];
    if (snprintf(tmp, sizeof tmp, "%s.tmp.XXXXXX", path) >= (int)sizeof tmp)
        return ff_fail(err, FFCNN_EINVAL, "%s: path too long", path);
    int fd = mkstemp(tmp);
    if (fd < 0)
        return ff_fail(err, FFCNN_EIO, "%s: cannot create a temporary file beside it (%s)", path,
                       strerror(errno));
    /* mkstemp makes the file 0600; a model gets the mode any new file would (0666 less the
     * umask), or keeps the mode of the file it replaces. */
    int ok = fchmod(fd, stat(path, &st) == 0 ? st.st_mode & 07777 : new_file_mode()) == 0 &&
             write_fully(fd, buf, n) == 0 && fsync(fd) == 0;
    int e = errno;
    if (close(fd) != 0 && ok) ok = 0, e = errno;
    if (ok && rename(tmp, path) != 0) ok = 0, e = errno;
    if (!ok) {
        unlink(tmp);
        return fail_errno(err, path, e);
    }
    sync_parent(path);
    return FFCNN_OK;
}

/* Version 5's names block (a count of 0 for a model with augmentation and no names; none in
 * version 4). */
static size_t names_bytes(const ffcnn_net *net) {
    return file_version(net) >= 5 ? 4 + (size_t)net->n_class_names * CKPT_NAME_BYTES : 0;
}

int ffcnn_save(const ffcnn_net *net, const char *path, char *err) {
    const size_t tensor = net->n_params * sizeof(float);
    const size_t total = header_bytes(file_version(net)) + 3 * tensor + names_bytes(net) + 4;
    uint8_t *buf = malloc(total);
    if (!buf) return ff_fail(err, FFCNN_ENOMEM, "%s: out of memory serialising the model", path);
    writer w = {buf, 0};
    put_header(&w, net);
    put(&w, net->params, tensor);
    put(&w, net->adam_m, tensor);
    put(&w, net->adam_v, tensor);
    if (file_version(net) >= 5) {
        put_i32(&w, net->n_class_names);
        put(&w, net->class_names, (size_t)net->n_class_names * CKPT_NAME_BYTES);
    }
    const uint32_t crc = (uint32_t)crc32_z(0L, buf + 8, w.off - 8);
    put(&w, &crc, 4);

    int rc = write_model_file(path, buf, w.off, err);
    free(buf);
    return rc;
}

static int read_file(const char *path, uint8_t **out, size_t *len, char *err) {
    FILE *f = fopen(path, "rb");
    if (!f) return ff_fail(err, FFCNN_EIO, "%s: cannot open (%s)", path, strerror(errno));
    struct stat st;
    if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode)) {
        fclose(f);
        return ff_fail(err, FFCNN_EIO, "%s: not a regular file", path);
    }
    if ((size_t)st.st_size < CKPT_HEADER_BYTES_V1 + 4) {
        fclose(f);
        return ff_fail(err, FFCNN_EFORMAT, "%s: too short to be an ffcnn model (%lld bytes)", path,
                       (long long)st.st_size);
    }
    *len = (size_t)st.st_size;
    uint8_t *buf = malloc(*len);
    if (!buf) {
        fclose(f);
        return ff_fail(err, FFCNN_ENOMEM, "%s: out of memory reading it", path);
    }
    size_t got = fread(buf, 1, *len, f);
    fclose(f);
    if (got != *len) {
        free(buf);
        return ff_fail(err, FFCNN_EIO, "%s: short read", path);
    }
    *out = buf;
    return FFCNN_OK;
}

/* What a header holds besides the configuration. */
typedef struct header_fields {
    uint32_t version;
    size_t bytes; /* header length: where the parameters start */
    int32_t epochs_done, step_in_epoch;
    int64_t adam_t;
    double last_val;
    uint8_t paths[FFCNN_MAX_LAYERS];
    ffcnn_data_identity data;
    uint64_t n_params;
    int32_t n_names; /* version 5: the names block's count */
} header_fields;

/* Versions 1 and 2: a uniform stack of (layers, filters, kernel) on 10 classes. */
static void get_config_v1(reader *r, ffcnn_config *c) {
    const int32_t layers = get_i32(r), filters = get_i32(r), kernel = get_i32(r);
    c->n_layers = layers >= 0 && layers <= FFCNN_MAX_LAYERS ? layers : -1;
    for (int i = 0; i < c->n_layers; i++)
        c->layer[i] = (ffcnn_layer_spec){FFCNN_LAYER_CONV, filters, kernel};
    c->channels = get_i32(r), c->height = get_i32(r), c->width = get_i32(r);
    c->classes = FFCNN_CLASSES;
}

static void get_config_v3(reader *r, ffcnn_config *c) {
    c->n_layers = get_i32(r);
    for (int i = 0; i < FFCNN_MAX_LAYERS; i++) {
        ffcnn_layer_spec *s = &c->layer[i];
        s->kind = get_i32(r), s->filters = get_i32(r), s->size = get_i32(r);
    }
    c->channels = get_i32(r), c->height = get_i32(r), c->width = get_i32(r);
    c->classes = get_i32(r);
}

/* Offset 412: version 4's reserved field, 0; version 5's augmentation, whose values
 * ffcnn_config_validate checks (no bits past the two bytes). */
static int get_augment(reader *r, uint32_t version, ffcnn_config *c, const char *path, char *err) {
    const uint32_t v = (uint32_t)get_i32(r);
    if (version == 4 && v != 0)
        return ff_fail(err, FFCNN_EFORMAT, "%s: reserved header field is not zero", path);
    if (v >> 16)
        return ff_fail(err, FFCNN_EFORMAT, "%s: augmentation field 0x%08x has unknown bits", path,
                       v);
    c->augment_pad = (int32_t)(v & 0xffu), c->augment_flip = (int32_t)(v >> 8);
    return FFCNN_OK;
}

static int parse_header(reader *r, size_t len, const char *path, ffcnn_config *c, header_fields *h,
                        char *err) {
    char magic[8];
    get(r, magic, 8);
    if (memcmp(magic, CKPT_MAGIC, 8) != 0)
        return ff_fail(err, FFCNN_EFORMAT, "%s: not an ffcnn model (bad magic)", path);
    memset(h, 0, sizeof *h);
    get(r, &h->version, 4);
    if (h->version < 1 || h->version > CKPT_VERSION)
        return ff_fail(err, FFCNN_EFORMAT, "%s: model format version %u, this build reads 1 to %u",
                       path, h->version, CKPT_VERSION);
    h->bytes = header_bytes(h->version);
    if (len < h->bytes + 4)
        return ff_fail(err, FFCNN_EFORMAT, "%s: too short for a version %u header", path,
                       h->version);
    memset(c, 0, sizeof *c);
    if (h->version >= 3) {
        uint32_t stated;
        get(r, &stated, 4);
        if (stated != h->bytes)
            return ff_fail(err, FFCNN_EFORMAT, "%s: header of %u bytes, version %u has %zu", path,
                           stated, h->version, h->bytes);
        get_config_v3(r, c);
        for (int i = c->n_layers > 0 ? c->n_layers : 0; i < FFCNN_MAX_LAYERS; i++)
            if (c->layer[i].kind || c->layer[i].filters || c->layer[i].size)
                return ff_fail(err, FFCNN_EFORMAT,
                               "%s: layer entry %d past the %d listed is not zero", path, i + 1,
                               c->n_layers);
    } else {
        get_config_v1(r, c);
    }
    c->label_kind = get_i32(r), get(r, &c->label_k, 4), c->train_from = get_i32(r);
    c->batch = get_i32(r), c->epochs = get_i32(r), get(r, &c->lr, 4), get(r, &c->seed, 8);
    get(r, &c->classifier_lr, 4);
    h->epochs_done = get_i32(r), h->step_in_epoch = get_i32(r), get(r, &h->adam_t, 8);
    get(r, &h->last_val, 8);
    if (h->version >= 2) get(r, h->paths, sizeof h->paths);
    h->data.train_limit = h->data.val_limit = -1;
    if (h->version >= 3) {
        get(r, h->data.name, sizeof h->data.name);
        if (!memchr(h->data.name, '\0', sizeof h->data.name))
            return ff_fail(err, FFCNN_EFORMAT, "%s: data set name is not NUL-terminated", path);
        h->data.train_limit = get_i32(r), h->data.val_limit = get_i32(r);
        get(r, h->data.fingerprint, sizeof h->data.fingerprint);
    }
    if (h->version >= 4) { /* earlier versions are FF models (algo 0) */
        c->algo = get_i32(r);
        const int rc = get_augment(r, h->version, c, path, err);
        if (rc) return rc;
    }
    if (h->version >= 6) {
        c->ff_loss = get_i32(r), c->goodness = get_i32(r), get(r, &c->ff_temperature, 4);
        c->negatives = get_i32(r);
    }
    get(r, &h->n_params, 8);
    char why[FFCNN_ERR_LEN];
    if (ffcnn_config_validate(c, why) != FFCNN_OK)
        return ff_fail(err, FFCNN_EFORMAT, "%s: bad configuration in model (%s)", path, why);
    return FFCNN_OK;
}

/* Every size and count against the file, before anything is allocated. */
static int check_header(const ffcnn_config *c, header_fields *h, const uint8_t *buf, size_t len,
                        const char *path, char *err) {
    const int L = ffcnn_config_conv_layers(c);
    for (int j = 0; j < FFCNN_MAX_LAYERS; j++)
        if (h->paths[j] > FFCNN_CONV_FFT || (j >= L && h->paths[j] != 0) ||
            (j > 0 && j < L && (h->paths[j] == 0) != (h->paths[0] == 0)))
            return ff_fail(err, FFCNN_EFORMAT, "%s: bad convolution path %u for conv layer %d",
                           path, h->paths[j], j + 1);
    const uint64_t n = ff_param_count(c);
    if (h->n_params != n)
        return ff_fail(err, FFCNN_EFORMAT,
                       "%s: holds %llu parameters but its configuration needs %llu", path,
                       (unsigned long long)h->n_params, (unsigned long long)n);
    if (n > (SIZE_MAX - h->bytes - 4) / 12 || len < h->bytes + 12 * n + 4)
        return ff_fail(err, FFCNN_EFORMAT, "%s: is %zu bytes, its header promises %llu", path, len,
                       (unsigned long long)(h->bytes + 12 * n + 4));
    size_t names = 0; /* the names block (version 5) */
    if (h->version >= 5 && len >= h->bytes + 12 * n + 8) {
        memcpy(&h->n_names, buf + h->bytes + 12 * n, 4);
        if (h->n_names != 0 && h->n_names != c->classes)
            return ff_fail(err, FFCNN_EFORMAT, "%s: %d class names for %d classes", path,
                           h->n_names, c->classes);
        names = 4 + (size_t)h->n_names * CKPT_NAME_BYTES;
    } else if (h->version >= 5) {
        names = 4;
    }
    if (len != h->bytes + 12 * n + names + 4)
        return ff_fail(err, FFCNN_EFORMAT, "%s: is %zu bytes, its header promises %llu", path, len,
                       (unsigned long long)(h->bytes + 12 * n + names + 4));
    if (h->epochs_done < 0 || h->step_in_epoch < 0 || h->adam_t < 0)
        return ff_fail(err, FFCNN_EFORMAT, "%s: negative training position", path);
    if (h->data.train_limit < -1 || h->data.val_limit < -1)
        return ff_fail(err, FFCNN_EFORMAT, "%s: bad data limits", path);
    return FFCNN_OK;
}

static int check_crc(const uint8_t *buf, size_t len, const char *path, char *err) {
    uint32_t crc;
    memcpy(&crc, buf + len - 4, 4);
    if (crc != (uint32_t)crc32_z(0L, buf + 8, len - 12))
        return ff_fail(err, FFCNN_EFORMAT, "%s: checksum mismatch (file corrupted)", path);
    return FFCNN_OK;
}

/* The names block's names: canonical (zero after the NUL, so that a file saved back is the
 * same bytes) and as ffcnn_net_set_class_names takes them. */
static int check_names(const uint8_t *p, int n, const char *path, char *err) {
    char names[FFCNN_MAX_CLASSES][64], why[FFCNN_ERR_LEN];
    memcpy(names, p, (size_t)n * CKPT_NAME_BYTES);
    for (int k = 0; k < n; k++) {
        const char *nul = memchr(names[k], '\0', 64);
        for (const char *q = nul; q && q < names[k] + 64; q++)
            if (*q)
                return ff_fail(err, FFCNN_EFORMAT, "%s: class name %d is not zero-padded", path, k);
    }
    if (ff_class_names_check((const char(*)[64])names, n, why))
        return ff_fail(err, FFCNN_EFORMAT, "%s: %s", path, why);
    return FFCNN_OK;
}

/* The payload and position into a network made from the file's configuration. */
static int restore(ffcnn_net *net, reader *r, const header_fields *h, char *err) {
    const size_t tensor = net->n_params * sizeof(float);
    get(r, net->params, tensor);
    get(r, net->adam_m, tensor);
    get(r, net->adam_v, tensor);
    net->epochs_done = h->epochs_done;
    net->adam_t = h->adam_t;
    net->step_in_epoch = h->step_in_epoch;
    net->last_val_linear = h->last_val;
    net->data = h->data;
    net->check_data_on_resume = 1;
    if (h->n_names) {
        get(r, &net->n_class_names, 4);
        get(r, net->class_names, (size_t)h->n_names * CKPT_NAME_BYTES);
    }
    if (h->paths[0] == 0) return FFCNN_OK; /* never settled: the next run chooses */
    enum ffcnn_conv_path p[FFCNN_MAX_LAYERS];
    for (int j = 0; j < FFCNN_MAX_LAYERS; j++) p[j] = (enum ffcnn_conv_path)h->paths[j];
    const int rc = ff_net_make_layers(net, p, err); /* the paths it was trained on */
    net->paths_settled = rc == FFCNN_OK;
    return rc;
}

int ffcnn_load(ffcnn_net **out, const char *path, int threads, char *err) {
    uint8_t *buf = NULL;
    size_t len = 0;
    int rc = read_file(path, &buf, &len, err);
    if (rc) return rc;
    reader r = {buf, 0};
    ffcnn_config cfg;
    header_fields h;
    rc = parse_header(&r, len, path, &cfg, &h, err);
    if (!rc) rc = check_header(&cfg, &h, buf, len, path, err);
    if (!rc) rc = check_crc(buf, len, path, err);
    if (!rc)
        rc = check_names(buf + len - 4 - (size_t)h.n_names * CKPT_NAME_BYTES, h.n_names, path, err);
    ffcnn_net *net = NULL;
    if (!rc) rc = ff_net_alloc(&net, &cfg, threads, err);
    if (!rc) {
        r.off = h.bytes;
        rc = restore(net, &r, &h, err);
    }
    if (!rc) {
        *out = net;
    } else {
        ffcnn_net_free(net);
    }
    free(buf);
    return rc;
}

void ffcnn_net_weights_sha256(const ffcnn_net *net, char hex[65]) {
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    EVP_Digest(net->params, net->n_params * sizeof(float), md, &len, EVP_sha256(), NULL);
    for (unsigned i = 0; i < len && i < 32; i++) snprintf(hex + 2 * i, 3, "%02x", md[i]);
    hex[64] = '\0';
}
