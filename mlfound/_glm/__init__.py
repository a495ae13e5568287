"""Shared core of mlfound's linear models: losses x penalties x solvers.

The focal-loss classifiers and the ordinal (cumulative link) models stand on
this package; a new linear model adds a loss here rather than a solver stack
of its own.

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
"""
