/* Strict parsing of command-line values: a bad value is an error naming the flag. */
#ifndef FFCNN_CLI_ARGS_H
#define FFCNN_CLI_ARGS_H

#include <stdint.h>

#include "ffcnn.h"

int parse_int(const char *flag, const char *text, long min, long max, int32_t *out, char *err);
int parse_u64(const char *flag, const char *text, uint64_t *out, char *err);
int parse_float(const char *flag, const char *text, double min, double max, float *out, char *err);

/* "--data SET[:DIR]" into a directory; *name gets the set's name (cli/data.h lists them). */
int parse_data(const char *text, char *dir, size_t cap, const char **name, char *err);

#endif
