/* Fuzzes the IDX reader, ffcnn_dataset_load_idx(), with both of its files from one input:
 *
 *   byte 0      flags: bit 0 gzip the images file, bit 1 gzip the labels file,
 *               bit 2 the labels path does not exist, bit 3 the images path is a directory,
 *               bits 4-7 drop that many bytes from the end of each gzip'd stream (truncation)
 *   bytes 1-2   split (little-endian u16, modulo the rest's length + 1)
 *   rest        images file = rest[0 .. split), labels file = rest[split ..)
 *
 * The rest may itself hold gzip data: zlib's gzread reads either. Checks the API contract:
 * on success a consistent dataset whose every byte is readable and every label is in 0..9,
 * on failure a message and an empty dataset; ASan/LSan see every buffer. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ffcnn.h"
#include "fuzz_util.h"

static void write_part(const char *path, const uint8_t *p, size_t n, int gz, size_t drop) {
    if (!gz) {
        fz_write_file(path, p, n);
        return;
    }
    size_t zlen = 0;
    uint8_t *z = fz_gzip(p, n, n % 2 ? 1 : 9, &zlen);
    fz_write_file(path, z, zlen > drop ? zlen - drop : 0);
    free(z);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 3) return 0;
    const uint8_t flags = data[0];
    const size_t want_split = (size_t)data[1] | (size_t)data[2] << 8;
    data += 3, size -= 3;
    const size_t split = want_split % (size + 1);
    const size_t drop = flags >> 4;

    char images[4096], labels[4096], tmpdir[4096];
    fz_temp_path(images, sizeof images, "images");
    fz_temp_path(labels, sizeof labels, "labels");
    write_part(images, data, split, flags & 1, drop);
    write_part(labels, data + split, size - split, flags & 2, drop);
    const char *dir = getenv("TMPDIR");
    snprintf(tmpdir, sizeof tmpdir, "%s", dir && *dir ? dir : "/tmp");
    char missing[4096];
    fz_temp_path(missing, sizeof missing, "no-such-file");

    ffcnn_dataset ds;
    memset(&ds, 0xA5, sizeof ds); /* the reader must initialise it whatever happens */
    char err[FFCNN_ERR_LEN];
    err[0] = '\0';
    const int rc =
        ffcnn_dataset_load_idx(&ds, flags & 8 ? tmpdir : images, flags & 4 ? missing : labels, err);
    fz_report("ffcnn_dataset_load_idx", rc, err);
    if (rc == FFCNN_OK) {
        FZ_CHECK(ds.n > 0 && ds.channels == 1 && ds.height > 0 && ds.width > 0);
        FZ_CHECK(ds.height <= 4096 && ds.width <= 4096);
        FZ_CHECK(ds.pixels != NULL && ds.labels != NULL);
        const size_t npix = (size_t)ds.n * (size_t)ds.height * (size_t)ds.width;
        unsigned sum = 0;
        for (size_t i = 0; i < npix; i++) sum += ds.pixels[i];
        for (int32_t i = 0; i < ds.n; i++) FZ_CHECK(ds.labels[i] < FFCNN_CLASSES);
        const int32_t n = ds.n;
        ffcnn_dataset_truncate(&ds, (int32_t)(sum % (unsigned)(n + 1)));
        FZ_CHECK(ds.n <= n && ds.n >= 0);
        ffcnn_dataset_free(&ds);
        FZ_CHECK(ds.pixels == NULL && ds.labels == NULL && ds.n == 0);
    } else {
        FZ_CHECK(rc == FFCNN_EIO || rc == FFCNN_EFORMAT || rc == FFCNN_ENOMEM);
        FZ_CHECK(err[0] != '\0' && memchr(err, '\0', sizeof err) != NULL);
        FZ_CHECK(ds.pixels == NULL && ds.labels == NULL && ds.n == 0);
        ffcnn_dataset_free(&ds); /* freeing a failed load is safe */
    }
    unlink(images);
    unlink(labels);
    return 0;
}
