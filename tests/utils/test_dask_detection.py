"""Dask stays optional: nothing imports it unless a dask collection is passed."""

import subprocess
import sys

import numpy as np

from mlfound.utils._dask import any_dask, is_dask_collection


def test_fits_do_not_import_dask():
    code = (
        "import sys, numpy as np\n"
        "from mlfound.linear_model import FocalLossClassifier\n"
        "from mlfound.preprocessing import TargetEncoder\n"
        "X = np.random.default_rng(0).normal(size=(40, 2))\n"
        "y = (X[:, 0] > 0).astype(int)\n"
        "FocalLossClassifier().fit(X, y).predict_proba(X)\n"
        "TargetEncoder().fit_transform((X > 0).astype(int), y)\n"
        "assert 'dask' not in sys.modules, 'dask was imported'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_detection_of_plain_inputs():
    assert not is_dask_collection(np.zeros(3))
    assert not any_dask(None, [1, 2], np.zeros((2, 2)))
