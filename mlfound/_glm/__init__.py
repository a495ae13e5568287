"""Shared core of mlfound's linear models: losses x penalties x solvers.

The focal-loss classifiers and the ordinal (cumulative link) models stand on
this package; a new linear model adds a loss here rather than a solver stack
of its own.

The kernels here follow the kernel safety rule stated in :mod:`mlfound._kernels`:
they trust their inputs, so every path from a public name to them (the
estimators' ``fit``, ``focal_objective`` for the boosting libraries) goes
through a validated entry that checks dtype, shape and length agreement,
class codes and CSR column indices, finiteness of ``X``, targets, weights and
raw scores, and casts with range checks first; memory is proportional to the
data, never to a value in it.

Contracts (small and duck-typed, in the spirit of skglm):

- A *loss* provides Numba kernels on raw scores that compute, in one pass over
  ``X`` (dense or CSR triplet), the objective value and its gradient with
  respect to the coefficients (fused margin, loss and gradient), plus
  ``raw_grad``/``raw_hessian`` with respect to the raw scores where a boosting
  objective needs them.
- A *penalty* provides its value, its gradient (smooth part) and, where it is
  not smooth, its proximal operator.
- A *solver* minimises ``value_and_grad(w) -> (float, ndarray)`` (plus a
  proximal operator for non-smooth penalties). :func:`minimize_lbfgs` in
  :mod:`mlfound._glm._lbfgs` is the driver for smooth objectives.

Modules:

- :mod:`~mlfound._glm._focal_fast`: Numba kernels of the binary and softmax
  focal losses (dense and CSR twins; ``gamma=0`` is exactly cross-entropy);
- :mod:`~mlfound._glm._losses`: loss objects over those kernels and
  :class:`~mlfound._glm._losses.LinearObjective`, which turns a loss, data,
  sample weights and a penalty into ``value_and_grad(w)`` with scikit-learn's
  ``LogisticRegression`` scaling (weighted mean loss + penalty / (C sum(s)));
- :mod:`~mlfound._glm._penalties`: L2 / L1 / elastic-net on the first
  ``n_penalized`` parameters, with ``C``/``l1_ratio`` as in scikit-learn;
- :mod:`~mlfound._glm._solvers`: ``minimize_lbfgs`` (re-exported),
  ``minimize_proximal`` (FISTA) and ``minimize_minibatch`` with
  ``MiniBatchOptimizer`` (SGD/Adam, schedules, clipping, early stopping);
- :mod:`~mlfound._glm._cumulative_link_fast`: Numba kernels of the cumulative
  link (ordinal) negative log-likelihood, links logit/probit/cloglog/loglog/
  cauchit: value, gradient and exact Hessian (dense and CSR twins), plus
  ``weighted_gram`` for the ``X.T @ diag(h) @ X`` block;
- :mod:`~mlfound._glm._cumulative_link_effects_fast`: the kernel of the
  cumulative link model with nominal (threshold-specific) and log-linear
  scale effects: value, gradient, exact Hessian and sandwich meat in one
  pass (dense and CSR rows in one kernel);
- :mod:`~mlfound._glm._cumulative_link`: ``CumulativeLinkLoss`` over those
  kernels (ordered cut points ``theta_k = theta_{k-1} + exp(c_k)``, smooth
  penalty from ``_penalties``), ``value_and_grad`` and ``value_grad_hess``;
- :mod:`~mlfound._glm._newton`: ``minimize_newton``, damped Newton with
  Armijo backtracking for objectives with a small exact Hessian.
"""
