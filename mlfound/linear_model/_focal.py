"""The focal-loss linear classifier, FocalLossClassifier."""

import numbers

import numpy as np
from joblib import cpu_count, effective_n_jobs
from scipy.special import expit, log_expit, log_softmax, softmax
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.preprocessing import LabelEncoder
from sklearn.utils import check_random_state
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data

from mlfound._glm._losses import BinaryFocalLoss, SoftmaxFocalLoss, _as_kernel_X
from mlfound.linear_model._focal_dask import fit_focal_dask, predict_focal_dask
from mlfound.linear_model._focal_inference import (
    FocalLikelihoodMixin,
    after_fit,
    clear_inference,
)
from mlfound.linear_model._focal_solvers import (
    _fit_full_batch,
    _fit_minibatch,
    _partial_fit_epoch,
)
from mlfound.linear_model._focal_weights import (
    _balanced_class_weights,
    _class_weight_from_dict,
    _per_class_alpha,
)
from mlfound.utils._array_checks import native_byte_order
from mlfound.utils._dask import any_dask, is_dask_collection
from mlfound.utils._param_validation import Interval, StrOptions, _fit_context
from mlfound.utils.validation import (
    check_n_classes,
    check_sample_weight,
    check_sparse_structure,
)

__all__ = ["FocalLossClassifier"]


class FocalLossClassifier(FocalLikelihoodMixin, ClassifierMixin, BaseEstimator):
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
        diagonal (Jacobi) preconditioner where the estimated curvatures of
        the parameters differ by more than a factor of 16 (L2 or no
        penalty). "fista":
        accelerated proximal gradient with backtracking, for any
        ``l1_ratio``. "sgd" (with momentum) and "adam": mini-batch
        first-order solvers with a learning-rate schedule, also used by
        :meth:`partial_fit`.

    tol : float or None, default=1e-4
        "lbfgs": stop when both hold: the max-norm of the gradient of the
        objective divided by ``C * sum(sample_weight)`` is at most ``tol``
        (``LogisticRegression``'s rule), and over the last two iterations
        that objective ``f`` decreased by at most ``tol * f`` per iteration
        (``f[k-2] - f[k] <= 2 * tol * f[k]``). The second rule does not
        depend on how rare the features are; on sparse data the gradient
        rule alone stops early. "fista": tolerance on the max-norm of the
        minimum-norm subgradient of the same objective. "sgd"/"adam":
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

    loglik_ : float
        Log-likelihood at the estimates (weighted by ``sample_weight``, read
        as frequency weights; without the penalty). Set only by ``fit`` when
        the objective is a likelihood: ``gamma=0``, ``alpha=None``,
        ``label_smoothing=0`` and ``class_weight=None``. With it come
        :meth:`summary`, :meth:`covariance`, :meth:`aic` and :meth:`bic`.

    n_params_ : int
        Number of free parameters counted by AIC and BIC (for K > 2 classes
        ``(K - 1) * (n_features + fit_intercept)``). Set with `loglik_`.

    nobs_ : float
        Number of observations, the sum of the sample weights. Set with
        `loglik_`.

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

    # fit accepts dask arrays and DataFrames (solver="lbfgs"); see _focal_dask
    _dask_methods = ("fit",)

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
        if any_dask(X, y, sample_weight):  # exact fit on a cluster
            return fit_focal_dask(self, X, y, sample_weight)
        check_sparse_structure(X)
        X, y = validate_data(
            self,
            X,
            y,
            accept_sparse="csr",
            dtype=[np.float64, np.float32],
            order="C",
        )
        y = native_byte_order(y)  # LabelEncoder refuses big-endian uint64
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
            w, n_iter = _fit_minibatch(self, X, target, codes, sample_weight, loss)
        else:
            w, n_iter = _fit_full_batch(self, X, target, sample_weight, loss)
        self.n_iter_ = np.array([n_iter], dtype=np.int32)
        after_fit(self, X, codes, target, sample_weight, loss)
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
        y = native_byte_order(y)  # LabelEncoder refuses big-endian uint64
        check_classification_targets(y)
        if first_call:
            if classes is None:
                raise ValueError(
                    "classes must be passed on the first call to partial_fit: "
                    "the list of every class that can occur."
                )
            self.classes_ = np.unique(native_byte_order(np.asarray(classes)))
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
        _partial_fit_epoch(self, X, target, sample_weight, loss, first_call)
        clear_inference(self)
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
        if is_dask_collection(X):  # per partition, lazily
            return predict_focal_dask(self, "decision_function", X)
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
        if is_dask_collection(X):  # per partition, lazily
            return predict_focal_dask(self, "predict", X)
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
        if is_dask_collection(X):  # per partition, lazily
            return predict_focal_dask(self, "predict_proba", X)
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
        if is_dask_collection(X):  # per partition, lazily
            return predict_focal_dask(self, "predict_log_proba", X)
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
            cw = _balanced_class_weights(codes, sample_weight, len(self.classes_))
            sample_weight = sample_weight * cw[codes]
        return np.ascontiguousarray(sample_weight, dtype=np.float64)

    def _alpha_vector(self, codes, sample_weight):
        n_classes = len(self.classes_)
        alpha = self.alpha
        if isinstance(alpha, str):  # "balanced", on weighted class counts
            return _balanced_class_weights(codes, sample_weight, n_classes)
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
