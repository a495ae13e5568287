"""Focal-loss linear classifiers and focal objectives for gradient boosting."""

import numbers

import numpy as np
from joblib import cpu_count, effective_n_jobs
from scipy.special import expit, log_expit, log_softmax, softmax
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import LabelEncoder
from sklearn.utils import check_random_state
from sklearn.utils.class_weight import compute_class_weight
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data

from mlfound._glm._losses import (
    BinaryFocalLoss,
    LinearObjective,
    SoftmaxFocalLoss,
    _as_kernel_X,
)
from mlfound._glm._penalties import make_penalty
from mlfound._glm._precondition import jacobi_scale
from mlfound._glm._solvers import (
    MiniBatchOptimizer,
    minimize_lbfgs,
    minimize_minibatch,
    minimize_proximal,
)
from mlfound.utils._param_validation import (
    Interval,
    StrOptions,
    _fit_context,
    validate_params,
)
from mlfound.utils._threads import single_threaded_blas
from mlfound.utils.validation import (
    check_n_classes,
    check_sample_weight,
    check_sparse_structure,
)

__all__ = ["FocalLossClassifier", "focal_objective", "focal_to_posterior"]


def _per_class_alpha(alpha, n_classes, classes=None):
    """``alpha`` given as None, a float or one weight per class, as a vector.

    A float is the weight of the positive class of a binary problem (the
    negative class gets ``1 - alpha``); "balanced" is resolved by the caller,
    which has the data.
    """
    if alpha is None:
        return np.ones(n_classes)
    if isinstance(alpha, numbers.Real):
        if n_classes != 2:
            raise ValueError(
                f"A float alpha={alpha} is the weight of the positive class "
                f"and needs exactly two classes, but there are {n_classes}. "
                f"Pass one weight per class (an array of length {n_classes}) "
                f"or alpha='balanced'."
            )
        return np.array([1.0 - alpha, float(alpha)])
    alpha = np.asarray(alpha, dtype=np.float64)
    if alpha.ndim != 1 or alpha.shape[0] != n_classes:
        for_classes = "" if classes is None else f" for classes {classes!r}"
        raise ValueError(
            f"alpha must hold one weight per class: expected shape "
            f"({n_classes},){for_classes}, got shape {alpha.shape}."
        )
    if not np.all(np.isfinite(alpha) & (alpha > 0)):
        raise ValueError(f"alpha must hold positive finite weights, got {alpha}.")
    return alpha


def _class_weight_from_dict(class_weight, classes):
    """One weight per class from a ``class_weight`` dict (1 for absent classes).

    As in scikit-learn's ``LogisticRegression``, a key that is not a class is
    an error unless every class has a weight (a cross-validation split may
    lack a class the dict names): ``{"1": 10}`` on labels 0/1 is rejected
    rather than silently ignored.
    """
    weights = np.ones(len(classes), dtype=np.float64)
    labels = classes.tolist()
    unweighted = []
    for i, label in enumerate(labels):
        if label in class_weight:
            weights[i] = _class_weight_value(class_weight[label], label)
        else:
            unweighted.append(label)
    n_matched = len(labels) - len(unweighted)
    if unweighted and n_matched != len(class_weight):
        unknown = [key for key in class_weight if key not in labels]
        raise ValueError(
            f"class_weight has key(s) {unknown!r} that are not classes; the "
            f"classes are {labels!r}. Use the labels exactly as they appear in "
            f"y (e.g. 1, not '1')."
        )
    return weights


def _class_weight_value(value, label):
    try:
        weight = float(value)
    except (TypeError, ValueError):
        weight = np.nan
    if not (np.isfinite(weight) and weight >= 0):
        raise ValueError(
            f"class_weight[{label!r}] must be a finite number >= 0, got {value!r}."
        )
    return weight


class FocalLossClassifier(ClassifierMixin, BaseEstimator):
    r"""Linear classifier trained with the focal loss.

    The focal loss down-weights examples the model already classifies well, so
    that the rare class of a severely imbalanced problem is not drowned by the
    many easy negatives. For a sample whose true class has predicted
    probability :math:`p_t`,

    .. math::

        \mathrm{FL}(p_t) = -\alpha_t (1 - p_t)^\gamma \log p_t .

    Two classes use the sigmoid of one raw score (like ``LogisticRegression``),
    more classes the softmax of one score per class. With ``gamma=0``,
    ``alpha=None`` and ``label_smoothing=0`` this is exactly
    ``LogisticRegression``: the objective, its scaling by ``C`` and the
    sample weights are the same, and so are the fitted coefficients (up to
    the solver tolerance).

    Focal probabilities are **not calibrated** for ``gamma > 0``: the focal
    loss is not a proper scoring rule, so ``predict_proba`` is pushed towards
    0.5 (binary). Rankings (ROC/PR curves) are unaffected. Use
    :func:`focal_to_posterior` (the closed-form inverse of the focal
    minimiser) or ``sklearn.calibration.CalibratedClassifierCV`` when the
    probabilities themselves matter.

    Read more in the :ref:`User Guide <focal_loss>`.

    Parameters
    ----------
    gamma : float, default=2.0
        Focusing parameter :math:`\gamma \ge 0`; 0 gives the cross-entropy.

    alpha : float, array-like of shape (n_classes,), "balanced" or None, default=None
        Class weights inside the loss. A float (two classes only) is the weight
        of the positive class ``classes_[1]``, the negative class gets
        ``1 - alpha`` (RetinaNet uses ``alpha=0.25`` with ``gamma=2``). An
        array gives one weight per class in the order of ``classes_``;
        "balanced" uses ``n_samples / (n_classes * n_samples_k)``. None means
        no class weighting. Unlike ``class_weight``, ``alpha`` does not change
        the normalisation of the objective by the sum of sample weights.

    label_smoothing : float, default=0.0
        Smoothing :math:`\epsilon \in [0, 1)`: the observed class gets the
        target :math:`1 - \epsilon` and each of the other :math:`K - 1` classes
        :math:`\epsilon / (K - 1)`. (PyTorch's ``label_smoothing`` spreads
        :math:`\epsilon / K` over *all* classes, the observed one included:
        PyTorch's :math:`\epsilon` equals this one times :math:`K / (K - 1)`.)

    C : float, default=1.0
        Inverse of regularisation strength, as in ``LogisticRegression``:
        the objective is ``C * sum_i s_i FL_i + penalty``. ``np.inf`` means no
        penalty.

    l1_ratio : float, default=0.0
        Elastic-net mixing as in ``LogisticRegression``: the penalty is
        ``l1_ratio * ||w||_1 + (1 - l1_ratio) / 2 * ||w||_2^2``; 0 is L2, 1 is
        L1. Values above 0 need ``solver="fista"``, "sgd" or "adam".

    fit_intercept : bool, default=True
        Whether to fit an (unpenalised) intercept.

    class_weight : dict, "balanced" or None, default=None
        Multiplies the sample weights, as in ``LogisticRegression``. Dict
        keys are labels as they appear in ``y``; a key that is no class
        (``{"1": 10}`` for labels 0/1) raises a ``ValueError`` unless every
        class has a weight, and weights must be finite and non-negative.

    solver : {"lbfgs", "fista", "sgd", "adam"}, default="lbfgs"
        "lbfgs": SciPy's L-BFGS-B on a fused one-pass kernel, with a
        diagonal (Jacobi) preconditioner (L2 or no penalty). "fista":
        accelerated proximal gradient with backtracking, for any
        ``l1_ratio``. "sgd" (with momentum) and "adam": mini-batch
        first-order solvers with a learning-rate schedule, also used by
        :meth:`partial_fit`.

    tol : float or None, default=1e-4
        "lbfgs" and "fista": tolerance on the max-norm of the (sub)gradient of
        the objective divided by ``C * sum(sample_weight)``; "sgd"/"adam":
        minimum improvement of the monitored loss per epoch. None runs
        "sgd"/"adam" for exactly ``max_iter`` epochs (and means 0 otherwise).

    max_iter : int, default=100
        Iterations ("lbfgs", "fista") or epochs ("sgd", "adam"). As in
        ``LogisticRegression``, 0 is allowed and runs no iteration: the
        coefficients are the starting point (zeros, or the previous solution
        with ``warm_start``), ``n_iter_`` is 0 and a ``ConvergenceWarning``
        says so. :meth:`partial_fit` always runs one epoch.

    warm_start : bool, default=False
        Start from the previous solution when refitting.

    verbose : int, default=0
        Print progress of the solver when positive.

    batch_size : int, default=256
        Mini-batch size of "sgd" and "adam".

    learning_rate : {"constant", "invscaling", "warmup_cosine"}, default="constant"
        Schedule of "sgd"/"adam": ``eta0``; ``eta0 / (t + 1) ** power_t``;
        or a linear warm-up over the first ``warmup_fraction`` of the steps
        followed by a cosine decay to ``eta0 / 100``.

    eta0 : float, default=0.01
        Initial (peak) learning rate.

    power_t : float, default=0.5
        Exponent of the "invscaling" schedule.

    warmup_fraction : float, default=0.1
        Fraction of the ``max_iter`` epochs spent warming up ("warmup_cosine").

    momentum : float, default=0.9
        Heavy-ball momentum of "sgd".

    clip_norm : float or None, default=None
        Rescale each mini-batch gradient to at most this Euclidean norm.

    early_stopping : bool, default=False
        "sgd"/"adam": hold out ``validation_fraction`` of the data (stratified),
        stop when its loss stops improving and keep the best coefficients.

    validation_fraction : float, default=0.1
        Share of the training data held out when ``early_stopping``.

    n_iter_no_change : int, default=5
        Epochs without improvement before "sgd"/"adam" stop.

    random_state : int, RandomState instance or None, default=None
        Shuffling of "sgd"/"adam" and their validation split.

    n_jobs : int or None, default=None
        Threads that evaluate the objective of "lbfgs" and "fista" on
        contiguous row chunks (the kernels release the GIL). ``None`` uses the
        physical cores, as scikit-learn's OpenMP-based estimators do; ``1`` is
        serial; ``-1`` all logical cores. Only data with more than about
        200,000 stored values per thread is split, so small problems always
        run serially. Results agree with ``n_jobs=1`` up to floating-point
        summation order (and are deterministic for a given ``n_jobs``).
        While any solver runs, BLAS is limited to one thread (see the user
        guide).

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        Class labels.

    coef_ : ndarray of shape (1, n_features) or (n_classes, n_features)
        Coefficients; one row for two classes, one row per class otherwise
        (the symmetric multinomial parametrisation of ``LogisticRegression``).

    intercept_ : ndarray of shape (1,) or (n_classes,)
        Intercepts (zeros when ``fit_intercept=False``).

    n_iter_ : ndarray of shape (1,)
        Iterations (or epochs) run by the solver.

    n_features_in_ : int
        Number of features seen during ``fit``.

    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during ``fit``. Defined only when `X`
        has feature names that are all strings.

    See Also
    --------
    sklearn.linear_model.LogisticRegression : The ``gamma=0`` special case.
    focal_objective : The focal loss as a gradient-boosting objective.
    focal_to_posterior : Undo the bias of focal probabilities.

    References
    ----------
    .. [1] T.-Y. Lin, P. Goyal, R. Girshick, K. He and P. Dollar, "Focal Loss
       for Dense Object Detection", ICCV 2017.
    .. [2] N. Charoenphakdee, J. Vongkulbhisal, N. Chairatanakul and
       M. Sugiyama, "On Focal Loss for Class-Posterior Probability
       Estimation: A Theoretical Perspective", CVPR 2021.

    Examples
    --------
    >>> from sklearn.datasets import make_classification
    >>> from mlfound.linear_model import FocalLossClassifier
    >>> X, y = make_classification(n_samples=500, weights=[0.95], random_state=0)
    >>> clf = FocalLossClassifier(gamma=2.0).fit(X, y)
    >>> clf.coef_.shape
    (1, 20)
    >>> clf.predict_proba(X[:2]).shape
    (2, 2)
    """

    _parameter_constraints = {
        "gamma": [Interval(numbers.Real, 0, None, closed="left")],
        "alpha": [
            Interval(numbers.Real, 0, 1, closed="neither"),
            "array-like",
            StrOptions({"balanced"}),
            None,
        ],
        "label_smoothing": [Interval(numbers.Real, 0, 1, closed="left")],
        "C": [Interval(numbers.Real, 0, None, closed="right")],
        "l1_ratio": [Interval(numbers.Real, 0, 1, closed="both")],
        "fit_intercept": ["boolean"],
        "class_weight": [dict, StrOptions({"balanced"}), None],
        "solver": [StrOptions({"lbfgs", "fista", "sgd", "adam"})],
        "tol": [Interval(numbers.Real, 0, None, closed="left"), None],
        "max_iter": [Interval(numbers.Integral, 0, None, closed="left")],
        "warm_start": ["boolean"],
        "verbose": ["verbose"],
        "batch_size": [Interval(numbers.Integral, 1, None, closed="left")],
        "learning_rate": [StrOptions({"constant", "invscaling", "warmup_cosine"})],
        "eta0": [Interval(numbers.Real, 0, None, closed="neither")],
        "power_t": [Interval(numbers.Real, 0, None, closed="left")],
        "warmup_fraction": [Interval(numbers.Real, 0, 1, closed="left")],
        "momentum": [Interval(numbers.Real, 0, 1, closed="left")],
        "clip_norm": [Interval(numbers.Real, 0, None, closed="neither"), None],
        "early_stopping": ["boolean"],
        "validation_fraction": [Interval(numbers.Real, 0, 1, closed="neither")],
        "n_iter_no_change": [Interval(numbers.Integral, 1, None, closed="left")],
        "random_state": ["random_state"],
        "n_jobs": [numbers.Integral, None],
    }

    def __init__(
        self,
        *,
        gamma=2.0,
        alpha=None,
        label_smoothing=0.0,
        C=1.0,
        l1_ratio=0.0,
        fit_intercept=True,
        class_weight=None,
        solver="lbfgs",
        tol=1e-4,
        max_iter=100,
        warm_start=False,
        verbose=0,
        batch_size=256,
        learning_rate="constant",
        eta0=0.01,
        power_t=0.5,
        warmup_fraction=0.1,
        momentum=0.9,
        clip_norm=None,
        early_stopping=False,
        validation_fraction=0.1,
        n_iter_no_change=5,
        random_state=None,
        n_jobs=None,
    ):
        self.gamma = gamma
        self.alpha = alpha
        self.label_smoothing = label_smoothing
        self.C = C
        self.l1_ratio = l1_ratio
        self.fit_intercept = fit_intercept
        self.class_weight = class_weight
        self.solver = solver
        self.tol = tol
        self.max_iter = max_iter
        self.warm_start = warm_start
        self.verbose = verbose
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.eta0 = eta0
        self.power_t = power_t
        self.warmup_fraction = warmup_fraction
        self.momentum = momentum
        self.clip_norm = clip_norm
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.random_state = random_state
        self.n_jobs = n_jobs

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None):
        """Fit the model on ``X``, ``y``.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data; sparse input is converted to CSR. The index
            arrays of CSR/CSC/COO input are checked first (a column index
            outside ``[0, n_features)`` or an inconsistent ``indptr`` raises
            a ``ValueError``); int32 and int64 indices are both used as they
            are.
        y : array-like of shape (n_samples,)
            Class labels.
        sample_weight : array-like of shape (n_samples,), default=None
            Per-sample weights (multiplied by ``class_weight``).

        Returns
        -------
        self : FocalLossClassifier
            The fitted classifier.
        """
        if self.solver == "lbfgs" and self.l1_ratio > 0:
            raise ValueError(
                f"solver='lbfgs' supports only the L2 penalty (l1_ratio=0), got "
                f"l1_ratio={self.l1_ratio}. Use solver='fista' (or 'sgd'/'adam') "
                f"for L1 and elastic-net penalties."
            )
        check_sparse_structure(X)
        X, y = validate_data(
            self,
            X,
            y,
            accept_sparse="csr",
            dtype=[np.float64, np.float32],
            order="C",
        )
        check_classification_targets(y)
        encoder = LabelEncoder().fit(y)
        self.classes_ = encoder.classes_
        check_n_classes(self.classes_)
        codes = encoder.transform(y).astype(np.intp)
        sample_weight = check_sample_weight(sample_weight, X, dtype=np.float64)
        loss, target = self._make_loss(codes, sample_weight)
        sample_weight = self._full_sample_weight(sample_weight, codes)
        X = _as_kernel_X(X)
        # every fit starts the random stream afresh (partial_fit continues it)
        self.__dict__.pop("_random_generator", None)
        self._optimizer = None
        if self.solver in ("sgd", "adam"):
            w, n_iter = self._fit_minibatch(X, target, codes, sample_weight, loss)
        else:
            objective = LinearObjective(
                loss,
                X,
                target,
                sample_weight,
                fit_intercept=self.fit_intercept,
                n_threads=self._n_threads(),
            )
            penalty = make_penalty(
                self.C, self.l1_ratio, objective.sw_sum, objective.n_coef
            )
            objective.penalty = penalty
            w0 = self._initial_w(objective)
            options = {
                "tol": self.tol or 0.0,
                "max_iter": self.max_iter,
                "verbose": self.verbose,
            }
            # The data pass is Numba; BLAS only sees vector operations.
            with single_threaded_blas():
                if self.solver == "lbfgs":
                    scale = jacobi_scale(objective)
                    w, n_iter, _ = minimize_lbfgs(objective, w0, scale=scale, **options)
                else:
                    w, n_iter, _ = minimize_proximal(objective, penalty, w0, **options)
            objective.close()
            self._store(objective, w, X.dtype)
        self.n_iter_ = np.array([n_iter], dtype=np.int32)
        return self

    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y, classes=None, sample_weight=None):
        """One epoch of the mini-batch solver over the chunk ``X``, ``y``.

        Uses ``solver`` when it is "sgd" or "adam" and "adam" otherwise; the
        optimiser state (step count, moments, schedule) carries over between
        calls. The penalty strength is ``1 / (C * sum of the chunk's
        weights)``, so repeated calls on one chunk minimise the same objective
        as :meth:`fit` on it.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            A chunk of training data.
        y : array-like of shape (n_samples,)
            Its labels.
        classes : array-like of shape (n_classes,), default=None
            All the classes; required on the first call.
        sample_weight : array-like of shape (n_samples,), default=None
            Per-sample weights.

        Returns
        -------
        self : FocalLossClassifier
            The updated classifier.
        """
        first_call = not hasattr(self, "classes_")
        check_sparse_structure(X)
        X, y = validate_data(
            self,
            X,
            y,
            accept_sparse="csr",
            dtype=[np.float64, np.float32],
            order="C",
            reset=first_call,
        )
        check_classification_targets(y)
        if first_call:
            if classes is None:
                raise ValueError(
                    "classes must be passed on the first call to partial_fit: "
                    "the list of every class that can occur."
                )
            self.classes_ = np.unique(np.asarray(classes))
            check_n_classes(self.classes_, name="classes")
        elif classes is not None and not np.array_equal(
            np.unique(np.asarray(classes)), self.classes_
        ):
            raise ValueError(
                f"classes={classes!r} differs from the classes of the first "
                f"partial_fit call {self.classes_!r}."
            )
        unseen = np.setdiff1d(np.unique(y), self.classes_)
        if unseen.size:
            raise ValueError(
                f"y contains labels {unseen!r} that are not in classes "
                f"{self.classes_!r}."
            )
        codes = np.searchsorted(self.classes_, y).astype(np.intp)
        for name in ("class_weight", "alpha"):
            if isinstance(getattr(self, name), str):  # "balanced"
                raise ValueError(
                    f"{name}='balanced' is not supported by partial_fit: the "
                    f"class frequencies of one chunk are not those of the whole "
                    f"stream. Compute the weights once on all labels (e.g. "
                    f"sklearn.utils.class_weight.compute_class_weight) and pass "
                    f"them as a dict (class_weight) or an array (alpha)."
                )
        sample_weight = check_sample_weight(sample_weight, X, dtype=np.float64)
        loss, target = self._make_loss(codes, sample_weight)
        sample_weight = self._full_sample_weight(sample_weight, codes)
        X = _as_kernel_X(X)
        objective = LinearObjective(
            loss, X, target, sample_weight, fit_intercept=self.fit_intercept
        )
        penalty = make_penalty(
            self.C, self.l1_ratio, objective.sw_sum, objective.n_coef
        )
        if first_call or not hasattr(self, "coef_"):
            w0 = np.zeros(objective.n_params)
            self._optimizer = None
        else:
            w0 = self._w_from_attributes(objective)
        if getattr(self, "_optimizer", None) is None:
            solver = self.solver if self.solver in ("sgd", "adam") else "adam"
            self._optimizer = self._make_optimizer(solver, X.shape[0])
        with single_threaded_blas():
            w, _, _ = minimize_minibatch(
                self._batch_objective(objective, penalty),
                penalty,
                w0,
                X.shape[0],
                optimizer=self._optimizer,
                batch_size=self.batch_size,
                max_iter=1,
                tol=None,
                random_state=self._rng(),
                verbose=self.verbose,
            )
        self._store(objective, w, X.dtype)
        self.n_iter_ = np.array(
            [getattr(self, "n_iter_", np.zeros(1, dtype=np.int32))[0] + 1],
            dtype=np.int32,
        )
        return self

    def decision_function(self, X):
        """Raw scores: log-odds of ``classes_[1]`` or one score per class.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Input data.

        Returns
        -------
        scores : ndarray of shape (n_samples,) or (n_samples, n_classes)
            ``X @ coef_.T + intercept_`` (raveled for two classes).
        """
        check_is_fitted(self)
        check_sparse_structure(X)
        X = validate_data(self, X, accept_sparse="csr", reset=False)
        scores = X @ self.coef_.T + self.intercept_
        return scores.ravel() if scores.shape[1] == 1 else scores

    def predict(self, X):
        """Most probable class.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Input data.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
            Predicted labels.
        """
        scores = self.decision_function(X)
        if scores.ndim == 1:
            indices = (scores > 0).astype(np.intp)
        else:
            indices = scores.argmax(axis=1)
        return self.classes_[indices]

    def predict_proba(self, X):
        """Class probabilities (sigmoid or softmax of the raw scores).

        For ``gamma > 0`` they are biased towards uncertainty; see
        :func:`focal_to_posterior`.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Input data.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Probabilities in the order of ``classes_``.
        """
        scores = self.decision_function(X)
        if scores.ndim == 1:
            p = expit(scores)
            return np.column_stack([1.0 - p, p])
        return softmax(scores, axis=1)

    def predict_log_proba(self, X):
        """Logarithm of :meth:`predict_proba`, computed stably.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Input data.

        Returns
        -------
        log_proba : ndarray of shape (n_samples, n_classes)
            Log-probabilities in the order of ``classes_``.
        """
        scores = self.decision_function(X)
        if scores.ndim == 1:
            return np.column_stack([log_expit(-scores), log_expit(scores)])
        return log_softmax(scores, axis=1)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags

    # ------------------------------------------------------------------ helpers

    def _n_threads(self):
        if self.n_jobs is None:
            return cpu_count(only_physical_cores=True)
        return effective_n_jobs(self.n_jobs)

    def _rng(self):
        if not hasattr(self, "_random_generator"):
            seed = check_random_state(self.random_state).randint(np.iinfo(np.int32).max)
            self._random_generator = np.random.default_rng(seed)
        return self._random_generator

    def _full_sample_weight(self, sample_weight, codes):
        """User weights times class weights ("balanced" counts weighted rows)."""
        if isinstance(self.class_weight, dict):
            cw = _class_weight_from_dict(self.class_weight, self.classes_)
            sample_weight = sample_weight * cw[codes]
        elif self.class_weight is not None:  # "balanced"
            cw = compute_class_weight(
                self.class_weight,
                classes=np.arange(len(self.classes_)),
                y=codes,
                sample_weight=sample_weight,
            )
            sample_weight = sample_weight * cw[codes]
        return np.ascontiguousarray(sample_weight, dtype=np.float64)

    def _alpha_vector(self, codes, sample_weight):
        n_classes = len(self.classes_)
        alpha = self.alpha
        if isinstance(alpha, str):  # "balanced", on weighted class counts
            counts = np.bincount(codes, weights=sample_weight, minlength=n_classes)
            counts[counts == 0] = 1.0
            return sample_weight.sum() / (n_classes * counts)
        return _per_class_alpha(alpha, n_classes, self.classes_)

    def _make_loss(self, codes, sample_weight):
        alpha = self._alpha_vector(codes, sample_weight)
        if len(self.classes_) == 2:
            loss = BinaryFocalLoss(self.gamma, alpha, self.label_smoothing)
            return loss, (codes == 1).astype(np.float64)
        loss = SoftmaxFocalLoss(
            len(self.classes_), self.gamma, alpha, self.label_smoothing
        )
        return loss, codes

    def _w_from_attributes(self, objective):
        n_out = objective.n_outputs
        coef = np.asarray(self.coef_, dtype=np.float64)
        if coef.shape != (n_out, objective.n_features):
            return np.zeros(objective.n_params)
        w = np.zeros(objective.n_params)
        w[: objective.n_coef] = coef.T.ravel()
        if objective.fit_intercept:
            w[objective.n_coef :] = self.intercept_
        return w

    def _initial_w(self, objective):
        if self.warm_start and hasattr(self, "coef_"):
            return self._w_from_attributes(objective)
        return np.zeros(objective.n_params)

    def _store(self, objective, w, dtype):
        coef, intercept = objective.unpack(w)
        self.coef_ = np.ascontiguousarray(coef.T, dtype=dtype)
        self.intercept_ = np.array(intercept, dtype=dtype)

    def _make_optimizer(self, solver, n_samples):
        n_batches = -(-n_samples // min(self.batch_size, n_samples))
        total = max(1, self.max_iter) * n_batches
        return MiniBatchOptimizer(
            solver,
            learning_rate=self.learning_rate,
            eta0=self.eta0,
            power_t=self.power_t,
            warmup_steps=int(self.warmup_fraction * total),
            total_steps=total,
            momentum=self.momentum,
            clip_norm=self.clip_norm,
        )

    @staticmethod
    def _batch_objective(objective, penalty):
        X, target, sw = objective.X, objective.y, objective.sample_weight

        def value_grad(w, rows):
            value, grad = objective.data_value_grad(w, X[rows], target[rows], sw[rows])
            return value + penalty.smooth_value_grad(w, grad), grad

        return value_grad

    def _fit_minibatch(self, X, target, codes, sample_weight, loss):
        rng = self._rng()
        validation_loss = None
        if self.early_stopping:
            seed = int(rng.integers(np.iinfo(np.int32).max))
            idx = np.arange(X.shape[0])
            try:
                train, val = train_test_split(
                    idx,
                    test_size=self.validation_fraction,
                    stratify=codes,
                    random_state=seed,
                )
            except ValueError:
                train, val = train_test_split(
                    idx, test_size=self.validation_fraction, random_state=seed
                )
            train, val = np.sort(train), np.sort(val)
            X_val, t_val, sw_val = X[val], target[val], sample_weight[val]
            X, target, sample_weight = X[train], target[train], sample_weight[train]
        objective = LinearObjective(
            loss, X, target, sample_weight, fit_intercept=self.fit_intercept
        )
        penalty = make_penalty(
            self.C, self.l1_ratio, objective.sw_sum, objective.n_coef
        )
        if self.early_stopping:

            def validation_loss(w):
                value, _ = objective.data_value_grad(w, X_val, t_val, sw_val)
                return value + penalty.value(w)

        w0 = self._initial_w(objective)
        optimizer = self._make_optimizer(self.solver, X.shape[0])
        with single_threaded_blas():
            w, n_iter, _ = minimize_minibatch(
                self._batch_objective(objective, penalty),
                penalty,
                w0,
                X.shape[0],
                optimizer=optimizer,
                batch_size=self.batch_size,
                max_iter=self.max_iter,
                tol=self.tol,
                n_iter_no_change=self.n_iter_no_change,
                validation_loss=validation_loss,
                random_state=rng,
                verbose=self.verbose,
            )
        self._store(objective, w, X.dtype)
        self._optimizer = optimizer
        return w, n_iter


@validate_params(
    {
        "gamma": [Interval(numbers.Real, 0, None, closed="left")],
        "alpha": [Interval(numbers.Real, 0, 1, closed="neither"), None],
        "label_smoothing": [Interval(numbers.Real, 0, 1, closed="left")],
        "hessian": [StrOptions({"substitute", "exact"})],
    },
    prefer_skip_nested_validation=True,
)
def focal_objective(
    gamma=2.0, alpha=None, *, label_smoothing=0.0, hessian="substitute"
):
    r"""Binary focal loss as a custom objective for gradient boosting.

    Returns a callable ``objective(y_true, raw_score) -> (grad, hess)`` giving
    the first and second derivative of the per-sample focal loss with respect
    to the raw score (log-odds), the form the scikit-learn APIs of XGBoost
    (``XGBClassifier(objective=...)``) and LightGBM
    (``LGBMClassifier(objective=...)``) take.

    For ``gamma > 0`` the exact second derivative turns negative for
    confidently wrong predictions, which makes Newton steps go the wrong way.
    ``hessian="substitute"`` (the default) therefore returns

    .. math::

        \tilde h = \max\left(h,\;
        \bigl(\alpha_1 t (1 - p)^\gamma + \alpha_0 (1 - t) p^\gamma\bigr)
        p (1 - p)\right),

    the exact hessian :math:`h` floored by the curvature of the cross-entropy
    weighted by the focal modulating factor held fixed. It is positive
    wherever :math:`0 < p < 1`, and equal to :math:`h` when ``gamma=0``.
    ``hessian="exact"`` returns :math:`h` itself.

    Parameters
    ----------
    gamma : float, default=2.0
        Focusing parameter.
    alpha : float or None, default=None
        Weight of the positive class (the negative gets ``1 - alpha``).
    label_smoothing : float, default=0.0
        Targets ``1 - eps`` and ``eps``.
    hessian : {"substitute", "exact"}, default="substitute"
        Which second derivative to return.

    Returns
    -------
    objective : callable
        ``objective(y_true, raw_score, sample_weight=None) -> (grad, hess)``,
        arrays of shape (n_samples,). This is the call of the scikit-learn
        APIs of LightGBM (``(y_true, y_pred, weight)``, the weight may be
        None) and XGBoost (``(y_true, y_pred)``). For XGBoost's native
        ``xgb.train`` wrap it as
        ``lambda preds, dtrain: objective(dtrain.get_label(), preds)``.
        Each call checks its inputs before the kernel runs: ``y_true`` must
        hold the labels 0/1 (booleans too), ``raw_score`` one finite score
        per label, ``sample_weight`` one finite non-negative weight per
        label. The several scores per sample of a multiclass booster (an
        ``(n, K)`` array or a flattened ``n * K`` one) raise a
        ``ValueError``: the objective is binary only.

    Examples
    --------
    >>> import numpy as np
    >>> from mlfound.linear_model import focal_objective
    >>> obj = focal_objective(gamma=2.0, alpha=0.25)
    >>> grad, hess = obj(np.array([0, 1, 1]), np.array([0.0, 3.0, -4.0]))
    >>> bool(np.all(hess > 0))
    True
    >>> obj(np.array([0, 2]), np.zeros(2))
    Traceback (most recent call last):
        ...
    ValueError: y_true must hold the binary labels 0 and 1 (or booleans), got [2]...

    With LightGBM (optional dependency)::

        import lightgbm as lgb
        clf = lgb.LGBMClassifier(objective=focal_objective(gamma=2.0))
    """
    loss = BinaryFocalLoss(gamma, _per_class_alpha(alpha, 2), label_smoothing)
    use_substitute = hessian == "substitute"

    def objective(y_true, raw_score, sample_weight=None):
        y_true, raw_score, sample_weight = _check_objective_inputs(
            y_true, raw_score, sample_weight
        )
        _, grad = loss.raw_loss_gradient(raw_score, y_true, sample_weight)
        exact, substitute = loss.raw_hessian(raw_score, y_true, sample_weight)
        return grad, substitute if use_substitute else exact

    return objective


def _check_proba_rows(proba):
    """``proba`` as float64 rows of probabilities that sum to one.

    A row sum may differ from 1 by ``max(1e-6, 10 * n_classes * eps)``, with
    ``eps`` the machine epsilon of the input dtype: the rounding of a float32
    softmax passes, a row that was never normalised does not.
    """
    proba = np.asarray(proba)
    if proba.dtype.kind not in "iuf":
        raise TypeError(
            f"proba must be a numeric array of probabilities, got dtype {proba.dtype}."
        )
    if proba.ndim != 2 or proba.shape[1] < 2:
        raise ValueError(
            f"proba must have shape (n_samples, n_classes >= 2), got {proba.shape}."
        )
    if proba.shape[0] == 0:
        raise ValueError("proba is empty: pass at least one row of probabilities.")
    eps = np.finfo(proba.dtype).eps if proba.dtype.kind == "f" else 0.0
    proba = proba.astype(np.float64, copy=False)
    finite = np.isfinite(proba)
    if not np.all(finite):
        raise ValueError(
            f"proba contains NaN or infinity ({int(np.sum(~finite))} values); "
            f"pass the output of predict_proba."
        )
    if proba.min() < 0 or proba.max() > 1:
        raise ValueError(
            f"proba must lie in [0, 1]; found values in [{proba.min():.6g}, "
            f"{proba.max():.6g}]. Pass probabilities (predict_proba), not raw "
            f"scores (decision_function)."
        )
    tol = max(1e-6, 10 * proba.shape[1] * eps)
    deviation = np.abs(proba.sum(axis=1) - 1.0)
    if deviation.max() > tol:
        row = int(np.argmax(deviation))
        raise ValueError(
            f"Each row of proba must sum to 1 (within {tol:.3g}); row {row} "
            f"sums to {proba[row].sum():.10g}. Pass all the class probabilities "
            f"of predict_proba, one column per class."
        )
    return proba


def _check_objective_inputs(y_true, raw_score, sample_weight):
    """Validated float64 ``(y, raw, sample_weight)`` for the binary focal kernels.

    The kernels index ``y`` and ``sample_weight`` by the position in
    ``raw_score``, so the three lengths must agree; labels must be 0/1 and
    scores finite, or the gradients would be garbage the booster trains on.
    """
    if hasattr(raw_score, "get_label"):
        raise TypeError(
            "raw_score is a DMatrix: xgboost.train calls its objective as "
            "obj(preds, dtrain). Wrap the focal objective for it: "
            "obj=lambda preds, dtrain: objective(dtrain.get_label(), preds)."
        )
    y = _numeric_1d(y_true, "y_true")
    raw = _numeric_1d(raw_score, "raw_score", kinds="iuf", allow_2d=True)
    n = y.shape[0]
    if raw.ndim == 2 and raw.shape[1] == 1:
        raw = raw[:, 0]
    if raw.ndim == 2 or (n > 0 and raw.shape[0] != n and raw.shape[0] % n == 0):
        n_scores = raw.shape[1] if raw.ndim == 2 else raw.shape[0] // n
        raise ValueError(
            f"raw_score holds {n_scores} scores per sample (shape "
            f"{raw.shape} for {n} labels): a booster passes that for a "
            f"multiclass problem, which focal_objective does not support yet "
            f"(or raw_score and y_true do not belong together). It is the "
            f"binary focal loss: use it with two classes labelled 0/1 and one "
            f"raw score per sample."
        )
    if raw.shape[0] != n:
        raise ValueError(
            f"raw_score has {raw.shape[0]} values but y_true has {n}: pass one "
            f"raw score (log-odds) per label."
        )
    is_binary = (y == 0) | (y == 1)
    if not np.all(is_binary):
        bad = np.unique(y[~is_binary])
        raise ValueError(
            f"y_true must hold the binary labels 0 and 1 (or booleans), got "
            f"{bad[:5].tolist()!r}. Encode the positive class as 1, e.g. "
            f"(y == positive_label).astype(int)."
        )
    raw = raw.astype(np.float64, copy=False)
    finite = np.isfinite(raw)
    if not np.all(finite):
        raise ValueError(
            f"raw_score contains NaN or infinity ({int(np.sum(~finite))} of {n} "
            f"values): the booster's raw scores diverged; lower its learning "
            f"rate or check the init scores."
        )
    if sample_weight is None:
        return y.astype(np.float64), raw, np.ones(n)
    sw = _numeric_1d(sample_weight, "sample_weight").astype(np.float64)
    if sw.shape[0] != n:
        raise ValueError(
            f"sample_weight has {sw.shape[0]} values but y_true has {n}: pass "
            f"one weight per label (or None)."
        )
    if not np.all(np.isfinite(sw) & (sw >= 0)):
        raise ValueError(
            "sample_weight must hold finite non-negative weights; found NaN, "
            "infinity or negative values."
        )
    return y.astype(np.float64), raw, sw


def _numeric_1d(values, name, *, kinds="biuf", allow_2d=False):
    arr = np.asarray(values)
    if arr.dtype.kind not in kinds:
        raise TypeError(f"{name} must be a numeric array, got dtype {arr.dtype}.")
    if arr.ndim == 1 or (allow_2d and arr.ndim == 2):
        return arr
    if arr.ndim == 2 and arr.shape[1] == 1:
        return arr[:, 0]
    raise ValueError(
        f"{name} must be 1-d (one value per sample), got shape {arr.shape}."
    )


@validate_params(
    {
        "proba": ["array-like"],
        "gamma": [Interval(numbers.Real, 0, None, closed="left")],
        "alpha": ["array-like", Interval(numbers.Real, 0, 1, closed="neither"), None],
    },
    prefer_skip_nested_validation=True,
)
def focal_to_posterior(proba, *, gamma, alpha=None):
    r"""Map focal-loss probabilities to class-posterior estimates.

    The minimiser of the expected focal loss is not the class posterior
    :math:`\eta`: it is pulled towards uncertainty. Setting the derivative of
    the conditional risk to zero on the simplex gives the inverse in closed
    form (Charoenphakdee et al., 2021):

    .. math::

        \eta_k \propto \frac{p_k}{\alpha_k\, g_k(p_k)}, \qquad
        g(p) = (1 - p)^\gamma - \gamma\, p\, (1 - p)^{\gamma - 1} \log p .

    It is exact for the population minimiser; on a fitted linear model it
    removes the systematic bias but is no substitute for calibration on held
    out data (``CalibratedClassifierCV``) when the model is misspecified.
    Label smoothing is not undone.

    Parameters
    ----------
    proba : array-like of shape (n_samples, n_classes)
        Output of ``FocalLossClassifier.predict_proba``: finite values in
        [0, 1] whose rows sum to 1 within ``max(1e-6, 10 * n_classes *
        eps)``, ``eps`` being the machine epsilon of its dtype (float32
        rounding passes, unnormalised rows raise a ``ValueError``).
    gamma : float
        The ``gamma`` the model was trained with.
    alpha : float, array-like of shape (n_classes,) or None, default=None
        The per-class ``alpha`` vector the model was trained with (a float is
        the positive-class weight of a binary model).

    Returns
    -------
    posterior : ndarray of shape (n_samples, n_classes)
        Estimated class posteriors (rows sum to one).

    Examples
    --------
    >>> import numpy as np
    >>> from mlfound.linear_model import focal_to_posterior
    >>> focal_to_posterior(np.array([[0.3, 0.7]]), gamma=0.0)
    array([[0.3, 0.7]])
    >>> bool(focal_to_posterior(np.array([[0.3, 0.7]]), gamma=2.0)[0, 1] > 0.7)
    True
    """
    proba = _check_proba_rows(proba)
    n_classes = proba.shape[1]
    alpha_vec = _per_class_alpha(alpha, n_classes)
    p = np.clip(proba, 1e-300, 1.0)
    q = np.clip(1.0 - proba, 0.0, 1.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(q > 0, -np.log(p) / np.where(q > 0, q, 1.0), 1.0)
        g = q**gamma * (1.0 + gamma * p * ratio)
        g = np.maximum(g, 1e-300)
        scores = p / (alpha_vec * g)
    scores /= scores.sum(axis=1, keepdims=True)
    return scores
