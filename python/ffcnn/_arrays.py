"""Checks and conversions of the numpy arrays the user gives (images and labels)."""
import numpy as np


class DTypeError(TypeError, ValueError):
    """An array of a dtype ffcnn does not take (both a TypeError and a ValueError)."""


def _describe(a):
    return f"shape {tuple(a.shape)}, dtype {a.dtype}"


def images(x, name="x", shape=None, single=False):
    """x as C-contiguous uint8 images, (N, C, H, W).

    Takes uint8 (as is), other integer dtypes with values in 0..255, or floats in [0, 1]
    (stored as round(255 x), numpy's rint); (N, H, W) is (N, 1, H, W). `shape` is the
    network's (C, H, W): with single=True, one image of that shape ((H, W) when C is 1) is
    taken as a batch of one. A non-contiguous array (a slice with a step, a transpose) is
    copied. ValueError for a wrong shape, NaN or values out of range; DTypeError for another
    dtype."""
    a = np.asarray(x)
    if a.dtype == np.bool_ or a.dtype.kind not in "uif":
        raise DTypeError(f"{name}: images of dtype {a.dtype}: ffcnn takes uint8 pixels (0..255), "
                         "other integers in 0..255, or floats in [0, 1]")
    if single and shape is not None:
        if a.shape == tuple(shape) or (shape[0] == 1 and a.shape == tuple(shape[1:])):
            a = a.reshape((1,) + tuple(shape))
        else:
            raise ValueError(f"{name}: one image of shape {tuple(shape)} expected ({_describe(a)})")
    if a.ndim == 3:
        a = a.reshape(a.shape[0], 1, a.shape[1], a.shape[2])
    if a.ndim != 4:
        raise ValueError(f"{name}: images are (N, C, H, W) or (N, H, W) arrays ({_describe(a)})")
    if shape is not None and tuple(a.shape[1:]) != tuple(shape):
        hint = ""
        if a.shape[3] == shape[0] and tuple(a.shape[1:3]) == tuple(shape[1:]):
            hint = " (channels last? use x.transpose(0, 3, 1, 2))"
        raise ValueError(f"{name}: images are {'x'.join(map(str, a.shape[1:]))} but the network "
                         f"expects {'x'.join(map(str, shape))} (C x H x W){hint}")
    if 0 in a.shape[1:]:
        raise ValueError(f"{name}: images with an empty side ({_describe(a)})")
    if a.dtype == np.uint8:
        return np.ascontiguousarray(a)
    if a.dtype.kind == "f":
        if a.size:
            bad = np.isnan(a)
            if bad.any():
                i = int(np.argmax(bad.reshape(a.shape[0], -1).any(axis=1)))
                raise ValueError(f"{name}: NaN in image {i}")
            lo, hi = float(a.min()), float(a.max())
            if lo < 0.0 or hi > 1.0:
                raise ValueError(f"{name}: float pixels must lie in [0, 1] (found "
                                 f"{lo if lo < 0 else hi:g}); ffcnn's pixels are uint8: give "
                                 "uint8 arrays, or floats scaled to [0, 1]")
        return np.ascontiguousarray(np.rint(a.astype(np.float64) * 255.0).astype(np.uint8))
    if a.size and (int(a.min()) < 0 or int(a.max()) > 255):
        raise ValueError(f"{name}: integer pixels must lie in 0..255 (found "
                         f"{int(a.min()) if int(a.min()) < 0 else int(a.max())})")
    return np.ascontiguousarray(a.astype(np.uint8))


def labels(y, n, classes, name="y"):
    """y as C-contiguous uint8 labels of n images, each in 0..classes-1."""
    a = np.asarray(y)
    if a.dtype == np.bool_ or a.dtype.kind not in "ui":
        raise DTypeError(f"{name}: labels of dtype {a.dtype}: give an integer array")
    if a.ndim != 1 or a.shape[0] != n:
        raise ValueError(f"{name}: {n} labels expected, one per image ({_describe(a)})")
    if a.size:
        lo, hi = int(a.min()), int(a.max())
        if lo < 0 or hi >= classes:
            bad = lo if lo < 0 else hi
            i = int(np.argmax(a == bad))
            raise ValueError(f"{name}: label {bad} of image {i} is not in 0..{classes - 1} (the "
                             f"network has {classes} classes; Config(classes=K) sets another "
                             "count)")
    return np.ascontiguousarray(a.astype(np.uint8))
