/* The class names a model keeps (ffcnn_net_set_class_names): what a folder's sub-folders were
 * called, so that predictions can be named and another folder matched to the classes. */
#include <stdint.h>
#include <string.h>

#include "network.h"
#include "util.h"

/* Bytes of the UTF-8 sequence at s (1..4), or 0 when it is not well-formed: overlong forms,
 * surrogates and code points past U+10FFFF are refused, as RFC 3629 says. */
static int utf8_length(const unsigned char *s) {
    const unsigned c = s[0];
    const int n = c < 0x80                 ? 1
                  : c >= 0xc2 && c <= 0xdf ? 2
                  : c >= 0xe0 && c <= 0xef ? 3
                  : c >= 0xf0 && c <= 0xf4 ? 4
                                           : 0;
    for (int i = 1; i < n; i++)
        if ((s[i] & 0xc0) != 0x80) return 0;
    if ((c == 0xe0 && s[1] < 0xa0) || (c == 0xed && s[1] > 0x9f) || (c == 0xf0 && s[1] < 0x90) ||
        (c == 0xf4 && s[1] > 0x8f))
        return 0;
    return n;
}

/* A name is shown in text and JSON: printable UTF-8, no control characters. */
static const char *name_problem(const char name[64]) {
    const void *end = memchr(name, '\0', 64);
    if (!end) return "is not NUL-terminated within 64 bytes";
    if (!name[0]) return "is empty";
    for (const unsigned char *s = (const unsigned char *)name; *s;) {
        const int n = utf8_length(s);
        if (!n) return "is not valid UTF-8";
        /* C0 and DEL, and C1 (U+0080..U+009F: a terminal reads some as escapes) */
        if ((n == 1 && (*s < 0x20 || *s == 0x7f)) || (n == 2 && s[0] == 0xc2 && s[1] < 0xa0))
            return "holds a control character";
        s += n;
    }
    return NULL;
}

int ff_class_names_check(const char (*names)[64], int n, char *err) {
    for (int k = 0; k < n; k++) {
        const char *why = name_problem(names[k]);
        if (why) return ff_fail(err, FFCNN_EINVAL, "class name %d %s", k, why);
        for (int j = 0; j < k; j++)
            if (!strcmp(names[j], names[k]))
                return ff_fail(err, FFCNN_EINVAL, "class names %d and %d are both '%s'", j, k,
                               names[k]);
    }
    return FFCNN_OK;
}

int ffcnn_net_set_class_names(ffcnn_net *net, const char (*names)[64], int n, char *err) {
    if (n != 0 && n != net->cfg.classes)
        return ff_fail(err, FFCNN_EINVAL, "class names: %d given for a network of %d classes", n,
                       net->cfg.classes);
    if (n && !names) return ff_fail(err, FFCNN_EINVAL, "class names: none given");
    const int rc = ff_class_names_check(names, n, err);
    if (rc) return rc;
    char padded[FFCNN_MAX_CLASSES][64] = {{0}}; /* names may be the network's own */
    for (int k = 0; k < n; k++) strcpy(padded[k], names[k]);
    memcpy(net->class_names, padded, sizeof padded);
    net->n_class_names = n;
    return FFCNN_OK;
}

const char *ffcnn_net_class_name(const ffcnn_net *net, int k) {
    return k >= 0 && k < net->n_class_names ? net->class_names[k] : NULL;
}
