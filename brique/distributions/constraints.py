"""Constraints: the sets a parameter or a sample must lie in (`Distribution.arg_constraints`,
`.support`). `check(value)` gives a boolean tensor of the batch shape, as in PyTorch."""
from __future__ import annotations

__all__ = ["Constraint", "boolean", "cat", "dependent", "dependent_property", "greater_than",
           "greater_than_eq", "half_open_interval", "independent", "integer_interval",
           "interval", "is_dependent", "less_than", "lower_cholesky", "lower_triangular",
           "multinomial", "nonnegative", "nonnegative_integer", "one_hot", "positive",
           "positive_definite", "positive_integer", "positive_semidefinite", "real",
           "real_vector", "simplex", "square", "stack", "symmetric", "unit_interval"]


class Constraint:
    """A region of values. `event_dim`: how many rightmost dimensions one event has (a simplex
    is checked row by row: event_dim 1)."""
    is_discrete = False
    event_dim = 0

    def check(self, value):
        raise NotImplementedError(f"{type(self).__name__} has no check")

    def __repr__(self):
        return type(self).__name__.lstrip("_") + "()"


class _Dependent(Constraint):
    """A placeholder whose region depends on other parameters (Uniform's support, Binomial's
    total_count): it cannot be checked on its own."""

    def __init__(self, *, is_discrete=False, event_dim=0):
        self.is_discrete, self.event_dim = is_discrete, event_dim

    def __call__(self, *, is_discrete=False, event_dim=0):
        return _Dependent(is_discrete=is_discrete, event_dim=event_dim)

    def check(self, value):
        raise ValueError("cannot determine validity of a dependent constraint")


def is_dependent(constraint):
    return isinstance(constraint, _Dependent)


class _DependentProperty(property, _Dependent):
    """`@constraints.dependent_property` on a distribution: a property whose value is the
    support; read on the class, it is a dependent constraint."""

    def __init__(self, fn=None, *, is_discrete=False, event_dim=0):
        property.__init__(self, fn)
        _Dependent.__init__(self, is_discrete=is_discrete, event_dim=event_dim)

    def __call__(self, fn):
        return _DependentProperty(fn, is_discrete=self.is_discrete, event_dim=self.event_dim)


class _IndependentConstraint(Constraint):
    """A constraint over `reinterpreted_batch_ndims` more event dimensions: all must hold."""

    def __init__(self, base_constraint, reinterpreted_batch_ndims):
        self.base_constraint = base_constraint
        self.reinterpreted_batch_ndims = reinterpreted_batch_ndims
        self.is_discrete = base_constraint.is_discrete
        self.event_dim = base_constraint.event_dim + reinterpreted_batch_ndims

    def check(self, value):
        ok = self.base_constraint.check(value)
        n = self.reinterpreted_batch_ndims
        if n:
            ok = ok.reshape(*ok.shape[:ok.dim() - n], -1).all(-1)
        return ok

    def __repr__(self):
        return f"IndependentConstraint({self.base_constraint!r}, {self.reinterpreted_batch_ndims})"


class _Boolean(Constraint):
    is_discrete = True

    def check(self, value):
        return (value == 0) | (value == 1)


class _OneHot(Constraint):
    is_discrete = True
    event_dim = 1

    def check(self, value):
        return ((value == 0) | (value == 1)).all(-1) & (value.sum(-1) == 1)


class _IntegerInterval(Constraint):
    is_discrete = True

    def __init__(self, lower_bound, upper_bound):
        self.lower_bound, self.upper_bound = lower_bound, upper_bound

    def check(self, value):
        return (value % 1 == 0) & (self.lower_bound <= value) & (value <= self.upper_bound)

    def __repr__(self):
        return f"IntegerInterval(lower_bound={self.lower_bound}, upper_bound={self.upper_bound})"


class _IntegerGreaterThan(Constraint):
    is_discrete = True

    def __init__(self, lower_bound):
        self.lower_bound = lower_bound

    def check(self, value):
        return (value % 1 == 0) & (value >= self.lower_bound)

    def __repr__(self):
        return f"IntegerGreaterThan(lower_bound={self.lower_bound})"


class _Real(Constraint):
    def check(self, value):
        return value == value  # False only at NaN


class _GreaterThan(Constraint):
    def __init__(self, lower_bound, inclusive=False):
        self.lower_bound, self.inclusive = lower_bound, inclusive

    def check(self, value):
        return value >= self.lower_bound if self.inclusive else value > self.lower_bound

    def __repr__(self):
        name = "GreaterThanEq" if self.inclusive else "GreaterThan"
        return f"{name}(lower_bound={self.lower_bound})"


class _LessThan(Constraint):
    def __init__(self, upper_bound):
        self.upper_bound = upper_bound

    def check(self, value):
        return value < self.upper_bound

    def __repr__(self):
        return f"LessThan(upper_bound={self.upper_bound})"


class _Interval(Constraint):
    def __init__(self, lower_bound, upper_bound, half_open=False):
        self.lower_bound, self.upper_bound, self.half_open = lower_bound, upper_bound, half_open

    def check(self, value):
        upper = value < self.upper_bound if self.half_open else value <= self.upper_bound
        return (self.lower_bound <= value) & upper

    def __repr__(self):
        name = "HalfOpenInterval" if self.half_open else "Interval"
        return f"{name}(lower_bound={self.lower_bound}, upper_bound={self.upper_bound})"


class _Simplex(Constraint):
    event_dim = 1

    def check(self, value):
        return (value >= 0).all(-1) & ((value.sum(-1) - 1).abs() < 1e-6)


class _Multinomial(Constraint):
    is_discrete = True
    event_dim = 1

    def __init__(self, upper_bound):
        self.upper_bound = upper_bound

    def check(self, value):
        return (value >= 0).all(-1) & (value.sum(-1) <= self.upper_bound)


class _Square(Constraint):
    event_dim = 2

    def check(self, value):
        from .. import backend
        from ..creation import full
        n, m = value.shape[-2:]
        return full(value.shape[:-2], n == m, dtype=backend.bool_, device=value.device)


class _LowerTriangular(Constraint):
    event_dim = 2

    def check(self, value):
        return (value.tril() == value).reshape(*value.shape[:-2], -1).min(-1)[0]


class _LowerCholesky(Constraint):
    event_dim = 2

    def check(self, value):
        lower = (value.tril() == value).reshape(*value.shape[:-2], -1).min(-1)[0]
        return lower & (value.diagonal(dim1=-2, dim2=-1) > 0).min(-1)[0]


class _Symmetric(Constraint):
    event_dim = 2

    def check(self, value):
        close = ((value - value.transpose(-2, -1)).abs() <= 1e-6 * (1 + value.abs()))
        return close.reshape(*value.shape[:-2], -1).all(-1)


class _PositiveDefinite(_Symmetric):
    def __init__(self, semi=False):
        self.semi = semi

    def __repr__(self):
        return "PositiveSemidefinite()" if self.semi else "PositiveDefinite()"

    def check(self, value):
        import numpy
        from ..tensor import Tensor
        # Definiteness from the eigenvalues, on the host: a check, not a differentiable op.
        a = numpy.asarray(value.detach().cpu().numpy(), dtype=numpy.float64)
        eig = numpy.linalg.eigvalsh(a) if a.size else numpy.ones(a.shape[:-1])
        pos = Tensor._make(numpy.asarray((eig >= 0 if self.semi else eig > 0).all(-1)))
        return super().check(value) & pos.to(value.device)


class _Cat(Constraint):
    """Constraints applied to consecutive slices along `dim` (lengths[i] entries each, 1 by
    default): a value satisfies it when every slice satisfies its own constraint."""

    def __init__(self, cseq, dim=0, lengths=None):
        self.cseq = list(cseq)
        if not all(isinstance(c, Constraint) for c in self.cseq):
            raise TypeError("constraints.cat: expected a sequence of Constraint objects")
        self.lengths = [1] * len(self.cseq) if lengths is None else list(lengths)
        if len(self.lengths) != len(self.cseq):
            raise ValueError(f"constraints.cat: {len(self.cseq)} constraints but "
                             f"{len(self.lengths)} lengths")
        self.dim = dim

    is_discrete = property(lambda self: any(c.is_discrete for c in self.cseq))
    event_dim = property(lambda self: max(c.event_dim for c in self.cseq))

    def check(self, value):
        from ..ops.movement import cat as _cat_tensors
        if not -value.dim() <= self.dim < value.dim():
            raise IndexError(f"constraints.cat: dim {self.dim} out of range for a value of "
                             f"shape {tuple(value.shape)}")
        if sum(self.lengths) != value.shape[self.dim]:
            raise ValueError(f"constraints.cat: lengths {self.lengths} sum to "
                             f"{sum(self.lengths)}, but dim {self.dim} of the value has size "
                             f"{value.shape[self.dim]}")
        checks, start = [], 0
        for c, n in zip(self.cseq, self.lengths):
            checks.append(c.check(value.narrow(self.dim, start, n)))
            start += n
        return _cat_tensors(checks, self.dim)


class _Stack(Constraint):
    """Constraint i applied to index i along `dim`: the checks are stacked back along it."""

    def __init__(self, cseq, dim=0):
        self.cseq = list(cseq)
        if not all(isinstance(c, Constraint) for c in self.cseq):
            raise TypeError("constraints.stack: expected a sequence of Constraint objects")
        self.dim = dim

    is_discrete = property(lambda self: any(c.is_discrete for c in self.cseq))

    @property
    def event_dim(self):
        dim = max(c.event_dim for c in self.cseq)
        return dim + 1 if self.dim + dim < 0 else dim

    def check(self, value):
        from ..ops.movement import stack as _stack_tensors
        if not -value.dim() <= self.dim < value.dim():
            raise IndexError(f"constraints.stack: dim {self.dim} out of range for a value of "
                             f"shape {tuple(value.shape)}")
        if value.shape[self.dim] != len(self.cseq):
            raise ValueError(f"constraints.stack: {len(self.cseq)} constraints, but dim "
                             f"{self.dim} of the value has size {value.shape[self.dim]}")
        return _stack_tensors([c.check(value.select(self.dim, i))
                               for i, c in enumerate(self.cseq)], self.dim)


cat = _Cat
stack = _Stack


boolean = _Boolean()
dependent = _Dependent()
dependent_property = _DependentProperty
independent = _IndependentConstraint
integer_interval = _IntegerInterval
real = _Real()
real_vector = _IndependentConstraint(real, 1)
positive = _GreaterThan(0.0)
nonnegative = _GreaterThan(0.0, inclusive=True)
greater_than = _GreaterThan
greater_than_eq = lambda lower_bound: _GreaterThan(lower_bound, inclusive=True)  # noqa: E731
less_than = _LessThan
interval = _Interval
half_open_interval = lambda lo, hi: _Interval(lo, hi, half_open=True)  # noqa: E731
unit_interval = _Interval(0.0, 1.0)
nonnegative_integer = _IntegerGreaterThan(0)
positive_integer = _IntegerGreaterThan(1)
one_hot = _OneHot()
simplex = _Simplex()
multinomial = _Multinomial
square = _Square()
symmetric = _Symmetric()
lower_triangular = _LowerTriangular()
lower_cholesky = _LowerCholesky()
positive_definite = _PositiveDefinite()
positive_semidefinite = _PositiveDefinite(semi=True)
