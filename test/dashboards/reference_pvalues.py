#!/usr/bin/env python3
"""Reference p-values for test/dashboards/stats.test.ts, computed independently of the
TypeScript code (no scipy here: plain Python 3 standard library).

- Mann-Whitney exact: enumerate every way of choosing which pooled ranks belong to x
  (itertools.combinations) and count U values as extreme as the observed one (two-sided,
  2 * smaller tail, capped at 1).
- Mann-Whitney normal approximation: mu = n1 n2 / 2, var = n1 n2 / 12 * ((n+1) - sum(t^3-t)/(n(n-1))),
  z = (|U - mu| - 0.5) / sqrt(var), p = erfc(z / sqrt 2)  (scipy's "asymptotic" method).
- Welch: t and Welch-Satterthwaite df by formula; p = 2 * integral of Student's t density from |t|
  to infinity, by composite Simpson's rule on the substitution u = 1/(1+x) (not the incomplete beta
  function the TypeScript code uses).
Run: python3 test/dashboards/reference_pvalues.py
"""
import itertools, math

def ranks(pooled):
    order = sorted(range(len(pooled)), key=lambda i: pooled[i])
    r = [0.0] * len(pooled)
    i = 0
    while i < len(order):
        j = i
        while j + 1 < len(order) and pooled[order[j + 1]] == pooled[order[i]]:
            j += 1
        for k in range(i, j + 1):
            r[order[k]] = (i + j) / 2 + 1
        i = j + 1
    return r

def u_stat(x, y):
    r = ranks(x + y)
    return sum(r[: len(x)]) - len(x) * (len(x) + 1) / 2

def mw_exact(x, y):
    n1, n2 = len(x), len(y)
    u = u_stat(x, y)
    n = n1 + n2
    lo = hi = total = 0
    for comb in itertools.combinations(range(1, n + 1), n1):
        uu = sum(comb) - n1 * (n1 + 1) / 2
        total += 1
        lo += uu <= u
        hi += uu >= u
    return u, min(1.0, 2 * min(lo, hi) / total)

def mw_normal(x, y):
    n1, n2 = len(x), len(y)
    n = n1 + n2
    u = u_stat(x, y)
    pooled = sorted(x + y)
    ties = [len(list(g)) for _, g in itertools.groupby(pooled)]
    var = n1 * n2 / 12 * ((n + 1) - sum(t**3 - t for t in ties) / (n * (n - 1)))
    z = max(0.0, abs(u - n1 * n2 / 2) - 0.5) / math.sqrt(var)
    return u, math.erfc(z / math.sqrt(2))

def t_density(x, df):
    c = math.exp(math.lgamma((df + 1) / 2) - math.lgamma(df / 2)) / math.sqrt(df * math.pi)
    return c * (1 + x * x / df) ** (-(df + 1) / 2)

def t_two_sided(t, df, steps=200000):
    # integral_{|t|}^{inf} f(x) dx with x = |t| + (1-u)/u, dx = du/u^2, u in (0, 1]
    a = abs(t)
    def g(u):
        if u == 0:
            return 0.0
        x = a + (1 - u) / u
        return t_density(x, df) / (u * u)
    h = 1.0 / steps
    s = g(0) + g(1)
    for k in range(1, steps):
        s += (4 if k % 2 else 2) * g(k * h)
    return 2 * s * h / 3

def welch(x, y):
    m1, m2 = sum(x) / len(x), sum(y) / len(y)
    v1 = sum((v - m1) ** 2 for v in x) / (len(x) - 1) / len(x)
    v2 = sum((v - m2) ** 2 for v in y) / (len(y) - 1) / len(y)
    t = (m1 - m2) / math.sqrt(v1 + v2)
    df = (v1 + v2) ** 2 / (v1**2 / (len(x) - 1) + v2**2 / (len(y) - 1))
    return t, df, t_two_sided(t, df)

A = [1.83, 0.50, 1.62, 2.48, 1.68, 1.88, 1.55, 3.06, 1.30]
B = [0.878, 0.647, 0.598, 2.05, 1.06, 1.29, 1.06, 3.14, 1.29]
C = [0.80, 0.83, 1.89, 1.04, 1.45, 1.38, 1.91, 1.64, 0.73, 1.46]
D = [1.15, 0.88, 0.90, 0.74, 1.21]
E = [3, 5, 5, 7, 9, 9, 9, 12]
F = [1, 2, 5, 6, 9, 4, 4, 2, 8]
print("mw exact C,D", mw_exact(C, D))
print("mw exact small", mw_exact([1.1, 2.2, 3.3], [4.4, 5.5, 6.6, 7.7]))
print("mw normal ties A,B", mw_normal(A, B))
print("mw normal ties E,F", mw_normal(E, F))
print("welch C,D", welch(C, D))
print("welch A,B", welch(A, B))
print("welch E,F", welch(E, F))

def prediction(sample, value):
    n = len(sample)
    m = sum(sample) / n
    s = math.sqrt(sum((v - m) ** 2 for v in sample) / (n - 1))
    t = (value - m) / (s * math.sqrt(1 + 1 / n))
    return t, n - 1, t_two_sided(t, n - 1)

print("prediction", prediction([10.1, 9.8, 10.4, 10.0, 9.7], 11.2))
print("mw exact scipy-docs", mw_exact([19, 22, 16, 29, 24], [20, 11, 17, 12]))
print("mw normal large", mw_normal([float(i) for i in range(30)], [i + 7.5 for i in range(30)]))
