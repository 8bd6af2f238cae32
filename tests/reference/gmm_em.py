"""Independent EM of a diagonal Gaussian mixture (numpy, written from the textbook updates as
scikit-learn's GaussianMixture(covariance_type="diag") does them), for the unit test of
src/detect/gmm.rs: the mean log-likelihood after each of 8 rounds (M step then E step) from
given hard initial responsibilities. Output committed as tests/reference/gmm_em.json.

Usage: python3 gmm_em.py > gmm_em.json
"""
import json

import numpy as np

X = np.array([
    [0.0, 1.0], [0.5, 1.2], [1.0, 0.8], [0.2, 0.1], [4.0, 4.2],
    [4.5, 3.9], [5.0, 4.8], [3.8, 5.1], [9.0, 0.5], [8.5, 1.5],
], dtype=float)
INIT = [0, 0, 0, 1, 1, 1, 1, 2, 2, 2]  # deliberately poor: EM must move the components
REG = 1e-3

resp = np.zeros((len(X), 3))
resp[np.arange(len(X)), INIT] = 1.0
trace = []
for _ in range(8):
    nk = resp.sum(axis=0)
    weights = nk / len(X)
    means = resp.T @ X / nk[:, None]
    var = resp.T @ (X * X) / nk[:, None] - means ** 2 + REG
    log_dens = (
        -0.5 * (np.log(2 * np.pi * var).sum(axis=1))[None, :]
        - 0.5 * (((X[:, None, :] - means[None, :, :]) ** 2) / var[None, :, :]).sum(axis=2)
        + np.log(weights)[None, :]
    )
    top = log_dens.max(axis=1, keepdims=True)
    log_norm = top[:, 0] + np.log(np.exp(log_dens - top).sum(axis=1))
    resp = np.exp(log_dens - log_norm[:, None])
    trace.append(float(log_norm.mean()))
print(json.dumps({"x": X.tolist(), "init": INIT, "reg_covar": REG, "mean_log_likelihood": trace}, indent=1))
