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
#define CKPT_VERSION 2u
/* version 1: magic 8, version 4, config 60, position 16, metrics 8, n_params 8; version 2
 * adds the conv path of each of FFCNN_MAX_LAYERS layers (one byte each) before n_params */
#define CKPT_HEADER_BYTES_V1 104u
#define CKPT_HEADER_BYTES 120u

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

static void put_header(writer *w, const ffcnn_net *net) {
    const ffcnn_config *c = &net->cfg;
    const uint32_t version = CKPT_VERSION;
    put(w, CKPT_MAGIC, 8);
    put(w, &version, 4);
    put_i32(w, c->layers), put_i32(w, c->filters), put_i32(w, c->kernel);
    put_i32(w, c->channels), put_i32(w, c->height), put_i32(w, c->width);
    put_i32(w, c->label_kind), put(w, &c->label_k, 4), put_i32(w, c->train_from);
    put_i32(w, c->batch), put_i32(w, c->epochs), put(w, &c->lr, 4), put(w, &c->seed, 8);
    put(w, &c->classifier_lr, 4);
    put_i32(w, net->epochs_done), put_i32(w, net->step_in_epoch), put(w, &net->adam_t, 8);
    put(w, &net->last_val_linear, 8);
    uint8_t paths[FFCNN_MAX_LAYERS] = {0}; /* 0: never settled (the next run measures) */
    for (int l = 0; net->paths_settled && l < c->layers; l++)
        paths[l] = (uint8_t)net->layer[l].path;
    put(w, paths, sizeof paths);
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
    int ok = write_fully(fd, buf, n) == 0 && fsync(fd) == 0;
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

int ffcnn_save(const ffcnn_net *net, const char *path, char *err) {
    const size_t tensor = net->n_params * sizeof(float);
    const size_t total = CKPT_HEADER_BYTES + 3 * tensor + 4;
    uint8_t *buf = malloc(total);
    if (!buf) return ff_fail(err, FFCNN_ENOMEM, "%s: out of memory serialising the model", path);
    writer w = {buf, 0};
    put_header(&w, net);
    put(&w, net->params, tensor);
    put(&w, net->adam_m, tensor);
    put(&w, net->adam_v, tensor);
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

static int parse_header(reader *r, const char *path, ffcnn_config *c, uint32_t *version,
                        char *err) {
    char magic[8];
    get(r, magic, 8);
    if (memcmp(magic, CKPT_MAGIC, 8) != 0)
        return ff_fail(err, FFCNN_EFORMAT, "%s: not an ffcnn model (bad magic)", path);
    get(r, version, 4);
    if (*version != 1 && *version != CKPT_VERSION)
        return ff_fail(err, FFCNN_EFORMAT, "%s: model format version %u, this build reads 1 and %u",
                       path, *version, CKPT_VERSION);
    memset(c, 0, sizeof *c);
    c->layers = get_i32(r), c->filters = get_i32(r), c->kernel = get_i32(r);
    c->channels = get_i32(r), c->height = get_i32(r), c->width = get_i32(r);
    c->label_kind = get_i32(r), get(r, &c->label_k, 4), c->train_from = get_i32(r);
    c->batch = get_i32(r), c->epochs = get_i32(r), get(r, &c->lr, 4), get(r, &c->seed, 8);
    get(r, &c->classifier_lr, 4);
    char why[FFCNN_ERR_LEN];
    if (ffcnn_config_validate(c, why) != FFCNN_OK)
        return ff_fail(err, FFCNN_EFORMAT, "%s: bad configuration in model (%s)", path, why);
    return FFCNN_OK;
}

int ffcnn_load(ffcnn_net **out, const char *path, int threads, char *err) {
    uint8_t *buf = NULL;
    size_t len = 0;
    int rc = read_file(path, &buf, &len, err);
    if (rc) return rc;
    reader r = {buf, 0};
    ffcnn_config cfg;
    uint64_t n_file = 0;
    uint32_t version = 0;
    uint8_t paths[FFCNN_MAX_LAYERS] = {0};
    size_t header = CKPT_HEADER_BYTES_V1;
    rc = parse_header(&r, path, &cfg, &version, err);
    int32_t epochs_done = 0, step_in_epoch = 0;
    int64_t adam_t = 0;
    double last_val = -1.0;
    if (!rc) {
        epochs_done = get_i32(&r), step_in_epoch = get_i32(&r), get(&r, &adam_t, 8);
        get(&r, &last_val, 8);
        if (version >= 2 && len < CKPT_HEADER_BYTES + 4)
            return free(buf), ff_fail(err, FFCNN_EFORMAT, "%s: too short for a version %u header",
                                      path, version);
        if (version >= 2) get(&r, paths, sizeof paths), header = CKPT_HEADER_BYTES;
        get(&r, &n_file, 8);
        for (int l = 0; l < FFCNN_MAX_LAYERS; l++)
            if (paths[l] > FF_CONV_FFT || (l >= cfg.layers && paths[l] != 0) ||
                (l > 0 && l < cfg.layers && (paths[l] == 0) != (paths[0] == 0)))
                rc = ff_fail(err, FFCNN_EFORMAT, "%s: bad convolution path %u for layer %d", path,
                             paths[l], l + 1);
        const uint64_t n = ff_param_count(&cfg);
        /* Every size is checked against the file before anything is allocated. */
        if (rc)
            ;
        else if (n_file != n)
            rc = ff_fail(err, FFCNN_EFORMAT,
                         "%s: holds %llu parameters but its configuration needs %llu", path,
                         (unsigned long long)n_file, (unsigned long long)n);
        else if (n > (SIZE_MAX - header - 4) / 12 || len != header + 12 * n + 4)
            rc = ff_fail(err, FFCNN_EFORMAT, "%s: is %zu bytes, its header promises %llu", path,
                         len, (unsigned long long)(header + 12 * n + 4));
        else if (epochs_done < 0 || step_in_epoch < 0 || adam_t < 0)
            rc = ff_fail(err, FFCNN_EFORMAT, "%s: negative training position", path);
    }
    if (!rc) {
        uint32_t crc;
        memcpy(&crc, buf + len - 4, 4);
        if (crc != (uint32_t)crc32_z(0L, buf + 8, len - 12))
            rc = ff_fail(err, FFCNN_EFORMAT, "%s: checksum mismatch (file corrupted)", path);
    }
    ffcnn_net *net = NULL;
    if (!rc) rc = ff_net_alloc(&net, &cfg, threads, err);
    if (!rc) {
        const size_t tensor = net->n_params * sizeof(float);
        get(&r, net->params, tensor);
        get(&r, net->adam_m, tensor);
        get(&r, net->adam_v, tensor);
        net->epochs_done = epochs_done;
        net->adam_t = adam_t;
        net->step_in_epoch = step_in_epoch;
        net->last_val_linear = last_val;
        if (paths[0] != 0) { /* the paths it was trained on (version 2) */
            int p[FFCNN_MAX_LAYERS];
            for (int l = 0; l < FFCNN_MAX_LAYERS; l++) p[l] = paths[l];
            rc = ff_net_make_layers(net, p, err);
            net->paths_settled = rc == FFCNN_OK;
        }
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
