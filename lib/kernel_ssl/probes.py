r"""Downstream evaluation of a representation: probes fitted on labelled points, scored on test points.

Both probes are ridge regressions onto one-hot labels, classified by the largest score:

- the **kernel probe** (kernel ridge classifier) with a Gram matrix :math:`K` on the labelled points,
  :math:`\hat Y = k_X(X_{\rm test})(K+\rho_{\rm p}I)^{-1}Y`, where :math:`k_X(X_{\rm test})` is the cross-kernel
  block ``(n_test, N)``, one test point per row;
- the **linear probe** on given features :math:`F` (``(N, d)``, one point per row),
  :math:`\hat Y = F_{\rm test}(F^\top F+\rho_{\rm p}I)^{-1}F^\top Y`.

By the push-through identity the linear probe is the kernel probe with the linear kernel :math:`FF^\top`.
``probe_ridge`` is :math:`\rho_{\rm p}\ge0` (the notation's probe ridge). NumPy in float64.
"""
from __future__ import annotations

import re

import numpy as np

from .data import one_hot
from .linalg import MAX_CONDITION, GramFactor, factor_gram
from .validation import as_finite_array, check_int_labels, check_no_overflow, check_positive_float


def _factor(gram, probe_ridge: float, max_condition: float) -> GramFactor:
    # linalg.factor_gram names its own arguments (gram, jitter): say gram_train and probe_ridge instead
    try:
        return factor_gram(gram, jitter=probe_ridge, max_condition=max_condition)
    except ValueError as exc:
        msg = str(exc).replace("gram + jitter", "gram_train + probe_ridge").replace("pass jitter", "pass probe_ridge")
        raise ValueError(re.sub(r"^gram\b", "gram_train", msg)) from exc


def _class_codes(labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    # the classes present in the training labels (sorted) and the one-hot codes of the labels among them
    classes, index = np.unique(labels, return_inverse=True)
    return classes, one_hot(index.astype(np.int64), len(classes))


def _accuracy(classes: np.ndarray, scores: np.ndarray, labels_test: np.ndarray) -> float:
    return float(np.mean(classes[np.argmax(scores, axis=1)] == labels_test))


def _kernel_probe_accuracy(factor: GramFactor, cross: np.ndarray, labels_train: np.ndarray,
                           labels_test: np.ndarray) -> float:
    # factor: of K + rho_p I on the labelled points; cross: (n_test, N)
    classes, codes = _class_codes(labels_train)
    return _accuracy(classes, cross @ factor.solve(codes), labels_test)


def _linear_probe_accuracy(features_train: np.ndarray, features_test: np.ndarray, labels_train: np.ndarray,
                           labels_test: np.ndarray, probe_ridge: float) -> float:
    classes, codes = _class_codes(labels_train)
    if probe_ridge > 0:
        w = np.linalg.solve(features_train.T @ features_train + probe_ridge * np.eye(features_train.shape[1]),
                            features_train.T @ codes)
    else:
        w = np.linalg.lstsq(features_train, codes, rcond=None)[0]
    return _accuracy(classes, features_test @ w, labels_test)


def kernel_probe_accuracy(gram_train, cross_test, labels_train, labels_test, probe_ridge: float,
                          max_condition: float = MAX_CONDITION) -> float:
    r"""Test accuracy of the kernel ridge classifier :math:`\hat Y = k_X(X_{\rm test})(K+\rho_{\rm p}I)^{-1}Y`.

    Args:
        gram_train: the Gram matrix :math:`K` of the labelled points (``(N, N)``, symmetric PSD).
        cross_test: the cross-kernel block :math:`k(X_{\rm test}, X)` (``(n_test, N)``, one test point per row).
        labels_train: the labels of the ``N`` labelled points (any integer classes).
        labels_test: the labels of the test points.
        probe_ridge: :math:`\rho_{\rm p}\ge0`, added to the diagonal (0: ridgeless, if :math:`K` is invertible).
        max_condition: the largest condition number of :math:`K+\rho_{\rm p}I` accepted (see
            :func:`kernel_ssl.linalg.factor_gram`).

    Returns:
        The fraction of test points whose largest score is their label's.
    """
    ytr = check_int_labels("labels_train", labels_train)
    yte = check_int_labels("labels_test", labels_test)
    probe_ridge = check_positive_float("probe_ridge", probe_ridge, allow_zero=True)
    max_condition = check_positive_float("max_condition", max_condition)
    as_finite_array("gram_train", gram_train, ndim=2)
    factor = _factor(gram_train, probe_ridge, max_condition)
    cross = as_finite_array("cross_test", cross_test, ndim=2)
    if ytr.shape[0] != factor.n or cross.shape != (yte.shape[0], factor.n):
        raise ValueError(f"cross_test must have shape (n_test, N) = ({yte.shape[0]}, {factor.n}) and "
                         f"labels_train {factor.n} entries, got {cross.shape} and {ytr.shape[0]}")
    return _kernel_probe_accuracy(factor, cross.astype(np.float64), ytr, yte)


def linear_probe_accuracy(features_train, features_test, labels_train, labels_test, probe_ridge: float) -> float:
    r"""Test accuracy of the linear probe :math:`W = (F^\top F+\rho_{\rm p}I)^{-1}F^\top Y` on given features.

    Equal to :func:`kernel_probe_accuracy` with the linear kernel :math:`FF^\top`.

    Args:
        features_train: the features :math:`F` of the labelled points (``(N, d)``, one point per row).
        features_test: the features of the test points (``(n_test, d)``).
        labels_train: the labels of the ``N`` labelled points (any integer classes).
        labels_test: the labels of the test points.
        probe_ridge: :math:`\rho_{\rm p}\ge0` (0: the minimum-norm least-squares fit).

    Returns:
        The fraction of test points whose largest score is their label's.
    """
    ftr = as_finite_array("features_train", features_train, ndim=2).astype(np.float64)
    fte = as_finite_array("features_test", features_test, ndim=2).astype(np.float64)
    check_no_overflow("features_train", ftr, np.float64, power=2, count=ftr.shape[0])   # F^T F
    check_no_overflow("features_test", fte, np.float64, power=2, count=ftr.shape[1])
    ytr = check_int_labels("labels_train", labels_train)
    yte = check_int_labels("labels_test", labels_test)
    if ftr.shape[0] != ytr.shape[0] or fte.shape[0] != yte.shape[0] or ftr.shape[1] != fte.shape[1]:
        raise ValueError(f"features and labels must match: features_train {ftr.shape}, labels_train "
                         f"{ytr.shape}, features_test {fte.shape}, labels_test {yte.shape}")
    probe_ridge = check_positive_float("probe_ridge", probe_ridge, allow_zero=True)
    return _linear_probe_accuracy(ftr, fte, ytr, yte, probe_ridge)
