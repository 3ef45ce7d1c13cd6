/* Image files the tests write themselves, with libjpeg directly (so that ffcnn's reader is
 * checked against files it did not write). Linked into test_image and test_readers. */
#ifndef FFCNN_TEST_IMAGE_FILES_H
#define FFCNN_TEST_IMAGE_FILES_H

#include <stdint.h>
#include <stdio.h>

#include <jpeglib.h>

/* A JPEG at quality 100 without chroma subsampling, from interleaved samples (components 1, 3
 * or 4, in colour space `space`); 0, or -1 when the file cannot be written. */
int test_write_jpeg(const char *path, int width, int height, int components, J_COLOR_SPACE space,
                    const uint8_t *px);

#endif
