/* ffcnn: Forward-Forward training of convolutional networks (Scodellaro et al., arXiv 2312.14924).
 *
 * Public API. Every name starts with ffcnn_ / FFCNN_. Functions that can fail return 0 on
 * success and a negative FFCNN_E* code otherwise, with a one-line message in `err` (a buffer of
 * FFCNN_ERR_LEN bytes) naming the file or setting and the problem. The library never prints and
 * never exits; the CLI decides what to show. */
#ifndef FFCNN_H
#define FFCNN_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#include "ffcnn_version.h"
#define FFCNN_ERR_LEN 512
#define FFCNN_MAX_LAYERS 16
#define FFCNN_CLASSES 10      /* the default class count: MNIST's digits, CIFAR-10 */
#define FFCNN_MAX_CLASSES 100 /* a network has 2..FFCNN_MAX_CLASSES classes (CIFAR-100's fine) */

enum ffcnn_status {
    FFCNN_OK = 0,
    FFCNN_EINVAL = -1,  /* a setting or argument out of range */
    FFCNN_EIO = -2,     /* a file could not be opened, read or written */
    FFCNN_EFORMAT = -3, /* a file's contents are malformed */
    FFCNN_ENOMEM = -4,
    FFCNN_ENUMERIC = -5,    /* NaN or Inf met while training */
    FFCNN_EINTERRUPTED = -6 /* training stopped on request; the network holds the resume point */
};

/* Label pattern superimposed on the image (docs/method.md §2). The paper's sets 1 and 2 are
 * defined for 10 classes only (ffcnn_config_validate refuses them for another count). */
enum ffcnn_label_kind {
    FFCNN_LABEL_FOURIER1 = 1,     /* paper's set 1: four orientations, three frequencies */
    FFCNN_LABEL_FOURIER2 = 2,     /* paper's set 2: one frequency band, ten orientations */
    FFCNN_LABEL_ONEHOT = 3,       /* Hinton's one-hot in the first K pixels (baseline); needs
                                     K <= channels * height * width */
    FFCNN_LABEL_FOURIER_AUTO = 4, /* K classes: the K lowest Fourier modes of the image, each
                                     pair of patterns equally far apart (src/labels.c) */
    FFCNN_LABEL_MORPH = 5         /* K classes: (1-K) x + K T_c(x), T_c a dilation or erosion
                                     of the image by a line of the class's angle and length
                                     (src/labels.c); no fixed pattern */
};

/* One entry of the network's layer list (docs/method.md §3). A conv layer is an FF layer:
 * RMS-normalise its input, convolve ("same" padding, stride 1), ReLU; its goodness and the
 * linear head read its ReLU output. A max-pooling step takes the previous layer's output to the
 * next layer's input (size x size windows, stride size, floor of odd sides as in PyTorch); it
 * has no parameters and no goodness of its own. */
enum ffcnn_layer_kind { FFCNN_LAYER_CONV = 1, FFCNN_LAYER_MAXPOOL = 2 };

/* How the network learns. FF: each conv layer by its own goodness objective on labelled
 * images, the linear head on detached features (docs/method.md §4-§6). BP, the baseline the
 * paper compares with: the same layers and head, no label in the input, trained end to end by
 * backpropagation of the head's cross-entropy (docs/method.md §12). */
enum ffcnn_algo { FFCNN_ALGO_FF = 0, FFCNN_ALGO_BP = 1 };

/* Named variants of the FF objective (docs/method.md §13); the first of each is the paper's.
 * Loss: BCE on each sample's logit (G - theta) (§4), or SymBa's softplus(-(l+ - l-)) on the
 * logits of each image's positive and negative copies, which ranks the true label above the
 * wrong one and has no threshold, or CE: every label written on the image, softmax
 * cross-entropy over the K logits towards the true label (the objective goodness inference
 * ranks by; K + 1 copies of each image instead of 3), or CWC (channel-wise competitive, after
 * Papachristodoulou et al., arXiv 2312.12668): no label in the input, one plain copy of each
 * image; each trained conv layer's channels form K contiguous groups, one per class (so its
 * filters must be a multiple of K), and the softmax over the K groups' goodness is trained
 * towards the true class; goodness inference is one pass, the argmax of the groups' goodness
 * summed over the scored layers. Label settings are unused; no hard negatives. Goodness: the sum of
 * squares over the layer's N outputs with theta = N (§4), or their mean with theta = 1 (the same
 * logit divided by N); goodness inference sums the same quantity over the layers. Negatives: a
 * wrong label drawn uniformly (§4), or drawn from the linear head's softmax over the wrong labels
 * on the neutral image, so that the labels the network confuses are the ones it is trained against.
 */
enum ffcnn_ff_loss {
    FFCNN_FF_LOSS_BCE = 0,
    FFCNN_FF_LOSS_SYMBA = 1,
    FFCNN_FF_LOSS_CE = 2,
    FFCNN_FF_LOSS_CWC = 3
};
enum ffcnn_goodness { FFCNN_GOODNESS_SUM = 0, FFCNN_GOODNESS_MEAN = 1 };
enum ffcnn_negatives { FFCNN_NEGATIVES_RANDOM = 0, FFCNN_NEGATIVES_HARD = 1 };

typedef struct ffcnn_layer_spec {
    int32_t kind;    /* enum ffcnn_layer_kind */
    int32_t filters; /* conv: output channels; pooling: 0 */
    int32_t size;    /* conv: odd kernel size k (k x k); pooling: window side = stride */
} ffcnn_layer_spec;

/* Everything that defines a network and its training schedule. */
typedef struct ffcnn_config {
    int32_t n_layers;                         /* entries used in layer[] */
    ffcnn_layer_spec layer[FFCNN_MAX_LAYERS]; /* first entry a conv layer */
    int32_t channels;                         /* input image channels (from the data) */
    int32_t height;                           /* input image height */
    int32_t width;                            /* input image width */
    int32_t classes;                          /* number of classes, 2..FFCNN_MAX_CLASSES */
    int32_t label_kind;                       /* enum ffcnn_label_kind */
    float label_k;                            /* label intensity K in (0,1) */
    int32_t train_from;  /* first trained conv layer, 1-based; conv layers before it keep their
                            init */
    int32_t batch;       /* positives per batch (as many negatives go with them) */
    int32_t epochs;      /* training epochs */
    float lr;            /* Adam learning rate before the cool-down */
    uint64_t seed;       /* seeds init, shuffling and negative labels */
    float classifier_lr; /* the linear head's rate (same cool-down); 0 = lr, as in the paper */
    int32_t algo;        /* enum ffcnn_algo */
    /* Augmentation of training images (docs/method.md §5); evaluation never augments. Each
     * training image is padded with augment_pad zero pixels on every side and a random
     * height x width window is cut out of it (a shift of -pad..pad rows and columns, zeros
     * filling in), then, with augment_flip, mirrored left-right with probability 1/2. The
     * draws depend on (seed, epoch, step, position in the batch) alone. Both 0: none. */
    int32_t augment_pad;  /* 0..FFCNN_MAX_AUGMENT_PAD */
    int32_t augment_flip; /* 0 or 1 */
    /* FF variants (enum ffcnn_ff_loss, ffcnn_goodness, ffcnn_negatives above); the logit is
     * (G - theta) / ff_temperature, ff_temperature in [1e-6, 1e6], or 0 for 1 (the paper's). */
    int32_t ff_loss;
    int32_t goodness;
    float ff_temperature;
    int32_t negatives;
} ffcnn_config;

/* The uniform stack: `layers` conv layers of `filters` filters k x k, no pooling (the
 * shorthand of --layers, --filters, --kernel). */
int ffcnn_config_set_uniform(ffcnn_config *cfg, int layers, int filters, int kernel, char *err);
/* Parses a layer list: entries separated by spaces or commas, "cFkK" a conv layer of F filters
 * K x K (e.g. c32k7), "pS" S x S max pooling (e.g. p2); '#' starts a comment to the end of the
 * line. FFCNN_EINVAL naming the bad entry. */
int ffcnn_config_parse_net(ffcnn_config *cfg, const char *text, char *err);
/* The layer list in the syntax of ffcnn_config_parse_net ("c16k5 c16k5 c16k5"). */
void ffcnn_config_format_net(const ffcnn_config *cfg, char *buf, size_t len);
/* Number of conv (FF) layers in the list. */
int ffcnn_config_conv_layers(const ffcnn_config *cfg);

/* Fills the default preset: the best MNIST network that trains and evaluates in 10 minutes on
 * a 2-core machine (README). */
void ffcnn_config_default(ffcnn_config *cfg);
/* Applies a named preset ("default", "paper", "cifar10", "tiny"); FFCNN_EINVAL if unknown. */
int ffcnn_config_preset(ffcnn_config *cfg, const char *name, char *err);
/* Checks every field; FFCNN_EINVAL with a message naming the first bad one. */
int ffcnn_config_validate(const ffcnn_config *cfg, char *err);
/* --augment's text: "none", "flip", "shift:P" or "shift-flip:P" (P = augment_pad; "shift" and
 * "shift-flip" alone take P = FFCNN_DEFAULT_AUGMENT_PAD), into cfg's augment_pad and
 * augment_flip, and back (always with its P). FFCNN_EINVAL naming --augment for another text. */
#define FFCNN_MAX_AUGMENT_PAD 8
#define FFCNN_DEFAULT_AUGMENT_PAD 4
int ffcnn_augment_parse(ffcnn_config *cfg, const char *text, char *err);
void ffcnn_augment_format(const ffcnn_config *cfg, char *buf, size_t len);
/* The variants' names ("bce"/"symba"/"ce"/"cwc", "sum"/"mean", "random"/"hard") and back;
 * FFCNN_EINVAL naming the flag for another name. */
const char *ffcnn_ff_loss_name(int v);
const char *ffcnn_goodness_name(int v);
const char *ffcnn_negatives_name(int v);
int ffcnn_ff_loss_parse(const char *name, int32_t *v, char *err);
int ffcnn_goodness_parse(const char *name, int32_t *v, char *err);
int ffcnn_negatives_parse(const char *name, int32_t *v, char *err);
/* Whether cfg uses the paper's objective (no variant above). */
int ffcnn_config_is_paper_objective(const ffcnn_config *cfg);
/* "ff" or "bp"; and back (FFCNN_EINVAL for another name). */
const char *ffcnn_algo_name(int algo);
int ffcnn_algo_parse(const char *name, int *algo, char *err);
/* Learning rate of 0-based epoch e: linear cool-down in the second half (docs/method.md §5). */
float ffcnn_lr_at_epoch(const ffcnn_config *cfg, int epoch);

/* ---- data ---- */

/* A labelled image set, pixels uint8 row-major [n][channels][height][width]. */
typedef struct ffcnn_dataset {
    int32_t n, channels, height, width;
    uint8_t *pixels;
    uint8_t *labels;
} ffcnn_dataset;

enum ffcnn_split { FFCNN_SPLIT_TRAIN = 0, FFCNN_SPLIT_VAL = 1, FFCNN_SPLIT_TEST = 2 };

/* Reads an IDX image file and its IDX label file (plain or gzip'd). */
int ffcnn_dataset_load_idx(ffcnn_dataset *ds, const char *images_path, const char *labels_path,
                           char *err);
/* Loads one split of MNIST-layout data from dir: train = first 50k of the 60k training images,
 * val = the last 10k, test = the 10k test images (docs/method.md §5). Finds plain or .gz files. */
int ffcnn_dataset_load_split(ffcnn_dataset *ds, const char *dir, enum ffcnn_split split, char *err);
/* Keeps only the first n images (n <= ds->n). */
void ffcnn_dataset_truncate(ffcnn_dataset *ds, int32_t n);
void ffcnn_dataset_free(ffcnn_dataset *ds);

/* CIFAR-10, the official binary version, from dir: training = data_batch_1.bin ...
 * data_batch_5.bin concatenated in that order, test (test != 0) = test_batch.bin; each file
 * plain or gzip'd (NAME, else NAME.gz). A record is a label byte (0..9) and 3072 pixel bytes
 * (32 x 32 red, green, blue planes): the set is 3 x 32 x 32. FFCNN_EIO naming dir and the file
 * when one is missing or unreadable; FFCNN_EFORMAT naming the file for an empty one, a length
 * that is not a whole number of records, a label out of range (with its record's index) or a
 * truncated or corrupt gzip stream. */
int ffcnn_dataset_load_cifar10(ffcnn_dataset *ds, const char *dir, int test, char *err);
/* CIFAR-100, binary version: train.bin or test.bin (or .gz) in dir; a record is a coarse label
 * (0..19), a fine label (0..99) and 3072 pixel bytes. Labels are the fine ones, or the coarse
 * ones when coarse != 0; both are checked. Errors as for CIFAR-10. */
int ffcnn_dataset_load_cifar100(ffcnn_dataset *ds, const char *dir, int test, int coarse,
                                char *err);
/* An image folder: dir holds one sub-folder per class, the class names are the sub-folders'
 * names sorted bytewise (strcmp) and a class's label is its position in that order (at most
 * max_classes, and at most 256; names of at most 63 bytes). Every regular file of a class
 * folder named *.png, *.jpg, *.jpeg, *.pgm or *.ppm (any case) is an image, decoded by
 * ffcnn_image_load and brought to channels x height x width (channels 1 or 3, sides 1..4096) by
 * ffcnn_image_prepare (FFCNN_INVERT_NO, FFCNN_FIT_STRETCH). Images are stored class by class,
 * each class's sorted by file name; entries starting with '.' and other files are skipped.
 * names (may be NULL) receives the class names, *n_classes (may be NULL) their count.
 * FFCNN_EINVAL for bad arguments; FFCNN_EIO when dir is missing or not a directory;
 * FFCNN_EFORMAT for no class folders, too many, a name too long, or a class folder with no
 * images; an image that fails to load gives the image loader's error (naming the file). */
int ffcnn_dataset_load_folder(ffcnn_dataset *ds, const char *dir, int channels, int height,
                              int width, char (*names)[64], int max_classes, int *n_classes,
                              char *err);
/* Splits all into train and val (new sets; all is left as it is). val takes n_val images
 * (1..all->n - 1), as evenly as possible over the classes 0..K-1, K = the largest label + 1:
 * n_val / K from each, one more from each of the lowest n_val % K classes (FFCNN_EINVAL when a
 * class has too few). Which images of a class go is drawn by a shuffle seeded by seed (a
 * stream of its own, independent of training's draws): the same seed gives the same split.
 * train takes the rest; both keep all's order. */
int ffcnn_dataset_split_stratified(const ffcnn_dataset *all, int32_t n_val, uint64_t seed,
                                   ffcnn_dataset *train, ffcnn_dataset *val, char *err);

/* What a model was trained on, kept in its file so that a resumed run takes the same images and
 * an evaluation can warn about other data. */
typedef struct ffcnn_data_identity {
    char name[64];       /* the data set as the user named it ("mnist", "fashion"); "" unknown */
    int32_t train_limit; /* first N training images used; -1 all */
    int32_t val_limit;   /* first N validation images used; -1 all */
    uint8_t fingerprint[32]; /* SHA-256 of the training set (shape, pixels, labels); 0s unknown */
} ffcnn_data_identity;

/* SHA-256 of the set's shape, pixels and labels. */
void ffcnn_dataset_fingerprint(const ffcnn_dataset *ds, uint8_t fingerprint[32]);

/* ---- network ---- */

typedef struct ffcnn_net ffcnn_net;

int ffcnn_net_create(ffcnn_net **out, const ffcnn_config *cfg, int threads, char *err);
void ffcnn_net_free(ffcnn_net *net);
const ffcnn_config *ffcnn_net_config(const ffcnn_net *net);
void ffcnn_net_set_threads(ffcnn_net *net, int threads);
/* FF training takes a batch in chunks of at most `images` images (FFCNN_DEFAULT_CHUNK unless
 * set): every layer's FF gradient and the head's are sums of per-sample terms (docs/method.md
 * §11), so the chunks' gradients add up to the batch's and one optimiser step follows. Memory
 * then depends on the chunk, not on the batch. Batches up to the chunk size are computed whole;
 * for larger ones the result differs from the unchunked one only by float summation order (as
 * with another thread count). Backprop takes whole batches. FFCNN_EINVAL outside 1..65536. */
#define FFCNN_DEFAULT_CHUNK 64
int ffcnn_net_set_chunk(ffcnn_net *net, int images, char *err);
int ffcnn_net_chunk(const ffcnn_net *net);

/* Goodness inference (ffcnn_evaluate, ffcnn_scores) sums the goodness of the trained conv layers
 * from conv layer `first` (1-based) on; 0, the default, sums every trained layer. The paper sums
 * every layer but the first (docs/method.md §6), so first = 2 is its rule for a model trained
 * from layer 1. A setting of this handle, not saved in model files. */
int ffcnn_net_set_score_from(ffcnn_net *net, int first, char *err);

/* Data-parallel training (docs/distributed.md): this network is replica `rank` of `count`
 * (0 <= rank < count <= 65536), each holding the same parameters and seeing the same batches.
 * From now on a training step (FF or BP) computes only the gradients of its contiguous part
 * [B * rank / count, B * (rank + 1) / count) of each batch of B images (an empty part gives zero
 * gradients), scaled as parts of the whole batch's mean, so that the parts' gradients add up to
 * the batch's. Then, before the optimiser step, it calls reduce(user, grads, n, stats, n_stats,
 * err) with the gradient of the trained parameters (grads[0..n), the same layout on every
 * replica) and n_stats doubles of the step's statistics (this part's losses and counts); reduce
 * must replace both, on every replica, by their sums over the replicas (MPI_Allreduce with
 * MPI_SUM, say), identical on every replica, and return 0. A non-zero return, an FFCNN_E* code
 * with a one-line message in err, ends the step before the update: the network keeps its resume
 * point, and ffcnn_train_epoch returns that code (FFCNN_EINTERRUPTED: stopped on request).
 * The library does no communication itself (the CLI's reduce uses MPI). reduce may be NULL only
 * for count 1; (0, 1, NULL, NULL), the default, is a single process taking whole batches.
 * FFCNN_EINVAL outside those ranges. */
typedef int (*ffcnn_reduce_fn)(void *user, float *grads, size_t n, double *stats, size_t n_stats,
                               char *err);
int ffcnn_net_set_shard(ffcnn_net *net, int rank, int count, ffcnn_reduce_fn reduce, void *user,
                        char *err);

/* How layers convolve: im2col + sgemm, or FFT + per-frequency channel sums. Both give the same
 * results to float rounding. AUTO (the default) times both paths on each layer's shape, batch
 * and thread count and keeps the faster (about 0.1 s for the default network, several seconds for
 * the paper's; remembered for the process); a settled choice (a loaded model's paths, or one made
 * before) is kept. Training settles unsettled paths itself. The paths are saved in model files, so
 * a resumed run takes the same ones; same-seed runs give the same bits only on the same paths, so
 * for a bit-identical re-run force the paths the first run printed. */
enum ffcnn_conv_path { FFCNN_CONV_AUTO = 0, FFCNN_CONV_IM2COL = 1, FFCNN_CONV_FFT = 2 };
int ffcnn_net_set_conv_path(ffcnn_net *net, enum ffcnn_conv_path path, char *err);
/* One path per layer (n = layers), or one for all (n = 1). */
int ffcnn_net_set_conv_paths(ffcnn_net *net, const enum ffcnn_conv_path *paths, int n, char *err);
/* "im2col" or "fft": the path layer (0-based) uses. */
const char *ffcnn_net_layer_conv_path(const ffcnn_net *net, int layer);
/* Whether the paths are settled (forced, measured, or read from a version-2 model file). */
int ffcnn_net_conv_paths_settled(const ffcnn_net *net);
/* The times auto measured for one step's work of a layer on each path; -1 if not measured. */
int ffcnn_net_layer_conv_timing(const ffcnn_net *net, int layer, double *im2col_seconds,
                                double *fft_seconds);
/* Epochs completed so far, and steps done in the unfinished one (the resume point). */
int ffcnn_net_epochs_done(const ffcnn_net *net);
int ffcnn_net_step_in_epoch(const ffcnn_net *net);
/* Validation accuracy of the linear head after the last epoch, -1 if none. */
double ffcnn_net_last_val_accuracy(const ffcnn_net *net);
/* SHA-256 of the parameters (weights and biases, as stored), as 64 hex digits + NUL. */
void ffcnn_net_weights_sha256(const ffcnn_net *net, char hex[65]);
/* The training data's identity. Every epoch records the training set's fingerprint; the first
 * epoch after ffcnn_load refuses (FFCNN_EINVAL) a training set whose fingerprint differs from
 * the file's, so that a resumed run continues on the same images. Name and limits are the
 * caller's to set (the CLI does) and are saved with the model. */
void ffcnn_net_set_data_identity(ffcnn_net *net, const ffcnn_data_identity *id);
const ffcnn_data_identity *ffcnn_net_data_identity(const ffcnn_net *net);
/* The names of the network's classes, saved with the model (a folder's sub-folder names, as
 * ffcnn_dataset_load_folder gives them). n = the network's class count, or 0 to remove them
 * (names may then be NULL). Each name is 1..63 bytes of UTF-8 with no control character,
 * NUL-terminated within its 64 bytes, and no two are equal; else FFCNN_EINVAL naming the
 * class. */
int ffcnn_net_set_class_names(ffcnn_net *net, const char (*names)[64], int n, char *err);
/* Class k's name, or NULL when the network has none (or k is not a class). */
const char *ffcnn_net_class_name(const ffcnn_net *net, int k);

/* ---- training ---- */

typedef struct ffcnn_epoch_stats {
    int32_t epoch;  /* 0-based */
    int32_t layers; /* entries used in loss[] and disc_acc[] */
    float lr;
    double loss[FFCNN_MAX_LAYERS];          /* mean per-layer BCE (trained layers; FF only) */
    double disc_acc[FFCNN_MAX_LAYERS];      /* per-layer discrimination accuracy (FF only) */
    double classifier_loss, classifier_acc; /* linear head on training batches (BP: the loss
                                               that trains the whole network) */
    double val_acc_linear;                  /* -1 when no validation set */
    double images_per_s;
    double seconds;
} ffcnn_epoch_stats;

/* on_batch runs after every optimiser step with (done, total) steps of the epoch, on_epoch once
 * per epoch with its stats, should_stop before every step (non-zero stops training with
 * FFCNN_EINTERRUPTED). Any may be NULL. The network is consistent (savable) in every hook. */
typedef struct ffcnn_train_hooks {
    void (*on_batch)(void *user, int epoch, int64_t done, int64_t total, double loss);
    void (*on_epoch)(void *user, const ffcnn_epoch_stats *stats);
    int (*should_stop)(void *user);
    void *user;
} ffcnn_train_hooks;

/* Trains the current epoch to its end, starting from the network's resume point (a loaded
 * checkpoint may stop mid-epoch); evaluates the linear head on val when non-NULL. Every random
 * draw depends only on (seed, epoch, step), so an interrupted and resumed run gives the same
 * bits as an uninterrupted one, given the same training set and thread count. The stats of a
 * resumed epoch cover the steps run in this call. Training and evaluation run with denormal
 * floats flushed to zero (x86 FTZ/DAZ, on the calling thread and the OpenMP workers; the
 * previous mode is restored on return): late in training they would otherwise be computed
 * many times slower. */
int ffcnn_train_epoch(ffcnn_net *net, const ffcnn_dataset *train, const ffcnn_dataset *val,
                      const ffcnn_train_hooks *hooks, ffcnn_epoch_stats *stats, char *err);

/* ---- evaluation ---- */

enum ffcnn_eval_mode { FFCNN_EVAL_GOODNESS = 1, FFCNN_EVAL_LINEAR = 2, FFCNN_EVAL_BOTH = 3 };

/* The confusion matrices are [true][predicted] over the network's `classes` classes; the rows
 * and columns from `classes` on are 0 (as is a matrix not evaluated). */
typedef struct ffcnn_eval_result {
    int32_t n;
    int32_t classes;          /* the network's class count */
    double accuracy_goodness; /* -1 when not evaluated */
    double accuracy_linear;   /* -1 when not evaluated */
    int32_t confusion_goodness[FFCNN_MAX_CLASSES][FFCNN_MAX_CLASSES];
    int32_t confusion_linear[FFCNN_MAX_CLASSES][FFCNN_MAX_CLASSES];
    double seconds;
    double images_per_s;
} ffcnn_eval_result;

/* A BP network (FFCNN_ALGO_BP) has no goodness: FFCNN_EVAL_GOODNESS is refused
 * (FFCNN_EINVAL) and FFCNN_EVAL_BOTH evaluates the linear head alone. */
int ffcnn_evaluate(ffcnn_net *net, const ffcnn_dataset *ds, enum ffcnn_eval_mode mode,
                   ffcnn_eval_result *res, char *err);

/* Per-image scores for every class, scores[ds->n][classes] (row-major, double so that the
 * largest is the one ffcnn_evaluate picks). FFCNN_EVAL_GOODNESS:
 * the goodness summed over the trained layers (sum of squared activations, docs/method.md §6)
 * of the image under each label; FFCNN_EVAL_LINEAR: the linear head's softmax probabilities on
 * the neutral-labelled image (BP: the plain image). The predicted class is the largest score,
 * the first on ties, exactly as ffcnn_evaluate predicts. ds->labels may be NULL (unlabelled
 * images). FFCNN_EVAL_BOTH is refused. */
int ffcnn_scores(ffcnn_net *net, const ffcnn_dataset *ds, enum ffcnn_eval_mode mode, double *scores,
                 char *err);

/* ---- class activation maps (docs/method.md §7) ---- */

/* One layer's map in the output of ffcnn_cam. */
typedef struct ffcnn_cam_layer {
    int32_t conv_layer;    /* 1-based number among the conv layers */
    int32_t height, width; /* the layer's output size (after earlier pooling steps) */
    size_t offset;         /* of its map in ffcnn_cam's maps, in floats */
} ffcnn_cam_layer;

/* The layers ffcnn_cam gives maps for, in order (those the linear head reads: FF, every trained
 * layer; BP, the last); returns their count. *total (may be NULL) = the floats of all maps. */
int ffcnn_cam_layers(const ffcnn_net *net, ffcnn_cam_layer layers[FFCNN_MAX_LAYERS], size_t *total);
/* The class activation map of image `index` of ds for class cls: for each layer the head
 * reads, map[y][x] = sum over channels ch of W[cls][ch][y][x] * a[ch][y][x], with a the layer's
 * RMS-normalised output on the neutral-labelled image (BP: the plain image) and W the head's
 * block of weights for that layer. The head has no bias, so the sum of every map's pixels is the
 * head's logit for cls (the CAM identity). logits[classes] (may be NULL) receives every class's
 * logit. maps holds the total of ffcnn_cam_layers. */
int ffcnn_cam(ffcnn_net *net, const ffcnn_dataset *ds, int32_t index, int cls, float *maps,
              float *logits, char *err);

/* ---- label patterns (docs/method.md §2) ---- */

/* The input cfg's labels give for label `label` (0..classes-1, or classes for the neutral
 * label) into out[channels * height * width]: the labelled image when image is non-NULL
 * (uint8 [channels][height][width], as in ffcnn_dataset), else the pattern L alone
 * (FFCNN_EINVAL for FFCNN_LABEL_MORPH, whose label is a transformation of the image: it has no
 * pattern alone). */
int ffcnn_label_image(const ffcnn_config *cfg, int label, const uint8_t *image, float *out,
                      char *err);
/* The smallest Euclidean distance between two of cfg's class patterns L_a and L_b (a < b,
 * the first such pair; a and b may be NULL): how far apart the labels are for the network.
 * The auto Fourier set's patterns are orthogonal cosines, all sqrt(C H W / 4) apart. -1 for a
 * configuration ffcnn_config_validate refuses, for FFCNN_LABEL_MORPH (no fixed patterns), or
 * out of memory. */
double ffcnn_label_min_distance(const ffcnn_config *cfg, int *a, int *b);

/* ---- images: PNG, JPEG, PGM/PPM files (src/image.c) ---- */

/* A decoded image, pixels uint8 [channels][height][width] (planar, as in ffcnn_dataset);
 * channels 1 (grey) or 3 (RGB). */
typedef struct ffcnn_image {
    int32_t channels, height, width;
    uint8_t *pixels;
} ffcnn_image;

/* Decodes a PNG (libpng), JPEG (libjpeg) or binary PGM/PPM (P5/P6) file, chosen by its first
 * bytes, not its name. Grey stays 1 channel, colour becomes 3 (a palette expanded, CMYK
 * converted); an alpha channel is composited over white; 16-bit samples are reduced to 8,
 * rounded (v * 255 / 65535), and a PGM/PPM maxval of 1..65535 is scaled to 255 likewise. Pixel
 * values are taken as stored (no gamma or colour-profile correction). Errors name the file:
 * FFCNN_EIO when it cannot be opened or read; FFCNN_EFORMAT when it is empty, of another
 * format, truncated (a JPEG that ends early included, which libjpeg alone would only warn of),
 * corrupt, has a zero side or is larger than 32768 pixels a side or 2^28 pixels; FFCNN_ENOMEM.
 * Decoders print nothing. On failure *img is zeroed. */
int ffcnn_image_load(ffcnn_image *img, const char *path, char *err);
/* Writes an 8-bit grey (1 channel) or RGB (3) PNG. FFCNN_EINVAL for an image outside those
 * limits, FFCNN_EIO naming the path when it cannot be written (a partial file is removed). */
int ffcnn_image_save_png(const ffcnn_image *img, const char *path, char *err);
/* Frees the pixels and zeroes *img; NULL or a zeroed image is fine. */
void ffcnn_image_free(ffcnn_image *img);

/* How ffcnn_image_prepare treats the background. */
enum ffcnn_invert {
    FFCNN_INVERT_AUTO = 0, /* invert when the mean of the outermost ring of pixels (over all
                              channels, after the grey conversion) is over 127.5: dark ink on
                              light paper becomes MNIST's light ink on black */
    FFCNN_INVERT_YES = 1,
    FFCNN_INVERT_NO = 2
};
/* How ffcnn_image_prepare brings an image to the model's size (an image of that size already
 * is taken as it is, either way). */
enum ffcnn_fit {
    FFCNN_FIT_STRETCH = 1, /* resample the whole image to height x width, each axis on its own:
                              area average (box filter) where it shrinks, linear interpolation
                              between pixel centres where it grows */
    FFCNN_FIT_DIGIT = 2    /* MNIST's own preparation: the bounding box of the ink (pixels over
                              a tenth of the brightest, after inversion) scaled, aspect kept and
                              resampled as STRETCH, so that its longer side is 20 for a 28 x 28
                              frame (generally round(20/28 * min(height, width))), then placed so
                              that its intensity-weighted centre of mass is at pixel (height/2,
                              width/2), (14, 14) for 28 x 28, rounded and kept inside the frame.
                              A black image gives a black frame. Expects a clean background:
                              ink-free pixels should be near 0 after inversion */
};
/* Brings img to a model's input, out[channels][height][width]: colour to grey by Rec. 601 luma
 * (0.299 R + 0.587 G + 0.114 B, rounded) or grey to colour by copying; inversion (255 - v) per
 * `invert`, applied after the grey conversion; then the size per `fit`. An image already
 * height x width is copied as it is (an MNIST image saved as PNG and loaded comes back
 * byte-identical). *inverted (may be NULL) tells whether it inverted. FFCNN_EINVAL for channels
 * other than 1 or 3, a size outside 1..32768, an unknown enum value or an invalid img. */
int ffcnn_image_prepare(const ffcnn_image *img, int channels, int height, int width,
                        enum ffcnn_invert invert, enum ffcnn_fit fit, uint8_t *out, int *inverted,
                        char *err);

/* ---- instruction sets (the bench functions are in ffcnn_bench.h) ---- */

/* The instruction set of the hot kernels in use: "avx512", "avx2" or "generic". The best the
 * CPU runs is chosen at first use, unless the environment variable FFCNN_KERNELS or
 * ffcnn_use_kernels names one ("auto" = the best). Call before training, from one thread;
 * FFCNN_EINVAL for an unknown name or kernels this CPU or build lacks. */
const char *ffcnn_kernels(void);
int ffcnn_use_kernels(const char *name, char *err);
/* The OpenBLAS kernels in use (its core name), and, when OpenBLAS did not recognise this CPU
 * and fell back to slow kernels, the OPENBLAS_CORETYPE value that would give fast ones (else
 * NULL). OpenBLAS reads that variable only when it loads, so a program must set it and
 * restart itself (the CLI does). */
const char *ffcnn_blas_core(void);
const char *ffcnn_blas_better_core(void);
/* ---- model files (docs/checkpoint-format.md) ---- */

/* A model with class names or augmentation is written in format version 5 (version 4 with the
 * augmentation in its reserved field, and the names); one with neither, in version 4, byte for
 * byte as earlier builds wrote it, so that they still read it. ffcnn_load reads versions 1 to
 * 5. */
int ffcnn_save(const ffcnn_net *net, const char *path, char *err);
int ffcnn_load(ffcnn_net **out, const char *path, int threads, char *err);

#ifdef __cplusplus
}
#endif
#endif
