"""scikit-learn-style estimators over the compiled classes: constructor arguments kept as
attributes, ``get_params``/``set_params``, ``fit(X, y=None)`` returning ``self``, so that they
work in ``Pipeline``, ``clone`` and grid searches without scikit-learn being a dependency."""

import inspect

from ._ebdm import RBM as _RBM


class BernoulliRBM:
    """A drop-in for ``sklearn.neural_network.BernoulliRBM`` backed by :class:`ebdm.RBM`.

    The constructor takes scikit-learn's names; ``sklearn_compat=True`` (the default) trains as
    scikit-learn does (PCD-1, ``batch_size`` chains started at zero, minibatches in data
    order). Per-epoch monitoring (``model_.history``) is on only with ``verbose``. Fitted
    attributes: ``components_``, ``intercept_hidden_``, ``intercept_visible_``,
    ``model_`` (the :class:`ebdm.RBM`).
    """

    def __init__(self, n_components=256, *, learning_rate=0.1, batch_size=10, n_iter=10, verbose=0,
                 random_state=None, sklearn_compat=True, algorithm="pcd", k=1, n_chains=None, momentum=0.0,
                 weight_decay=0.0, precision="f32", n_threads=None):
        self.n_components = n_components
        self.learning_rate = learning_rate
        self.batch_size = batch_size
        self.n_iter = n_iter
        self.verbose = verbose
        self.random_state = random_state
        self.sklearn_compat = sklearn_compat
        self.algorithm = algorithm
        self.k = k
        self.n_chains = n_chains
        self.momentum = momentum
        self.weight_decay = weight_decay
        self.precision = precision
        self.n_threads = n_threads

    @classmethod
    def _param_names(cls):
        return [p for p in inspect.signature(cls.__init__).parameters if p != "self"]

    def get_params(self, deep=True):
        return {name: getattr(self, name) for name in self._param_names()}

    def set_params(self, **params):
        for name, value in params.items():
            if name not in self._param_names():
                raise ValueError(f"invalid parameter {name!r} for BernoulliRBM")
            setattr(self, name, value)
        return self

    def fit(self, X, y=None):
        seed = self.random_state if isinstance(self.random_state, int) else 0
        self.model_ = _RBM(self.n_components, learning_rate=self.learning_rate, batch_size=self.batch_size,
                           n_iter=self.n_iter, random_state=seed, sklearn_compat=self.sklearn_compat,
                           algorithm=self.algorithm, k=self.k, chains=self.n_chains, momentum=self.momentum,
                           weight_decay=self.weight_decay, precision=self.precision,
                           monitor_samples=100 if self.verbose else 0)
        self.model_.fit(X, threads=self.n_threads)
        return self

    def _fitted(self):
        if not hasattr(self, "model_"):
            raise ValueError("not fitted yet: call fit(X) first")
        return self.model_

    def transform(self, X):
        return self._fitted().transform(X, threads=self.n_threads)

    def fit_transform(self, X, y=None):
        return self.fit(X, y).transform(X)

    def score_samples(self, X):
        seed = self.random_state if isinstance(self.random_state, int) else 0
        return self._fitted().score_samples(X, seed=seed)

    def gibbs(self, v):
        return self._fitted().gibbs(v, steps=1)

    @property
    def components_(self):
        return self._fitted().components_

    @property
    def intercept_hidden_(self):
        return self._fitted().intercept_hidden_

    @property
    def intercept_visible_(self):
        return self._fitted().intercept_visible_

    def __repr__(self):
        changed = {k: v for k, v in self.get_params().items()
                   if v != inspect.signature(type(self).__init__).parameters[k].default}
        return "BernoulliRBM(" + ", ".join(f"{k}={v!r}" for k, v in changed.items()) + ")"
