#!/usr/bin/env python3
"""Golden trajectories of the deep-network step rules, computed independently of sgda.

Re-implements, in plain Python floats (no numpy, no torch), the algorithms torch.optim documents
and implements (torch 2.x, single-tensor code paths: SGD, Adagrad, RMSprop, Adam/AdamW with
amsgrad, NAdam), LARS and LAMB as docs/steps.md and the reference file state them, on two blocks
as torch's parameter groups would hold them: a weight block "layer0.weight" (weight decay, trust
ratio) and a bias block "layer0.bias" (the no-decay group: weight decay 0, trust ratio 1).

    python3 tests/golden/optimizers.py > tests/golden/optimizers_golden.inc

writes the C++ table tests/test_optimizers.cpp checks to 1e-12: per case, the options as
`key=value` pairs of StepRuleOptions, the step size, and the iterates x_0 ... x_K.
"""

import math

X0 = [0.5, -1.25, 2.0, 0.3, -0.2]  # layer0.weight = X0[:3], layer0.bias = X0[3:]
BLOCKS = [(0, 3, False), (3, 2, True)]  # (offset, size, in the no-decay group)
# Gradients of the five steps (a large first one, so AMSGrad's maximum differs from v).
GRADS = [
    [4.0, -3.0, 0.5, 2.0, -1.0],
    [0.1, 0.2, -0.3, 0.05, 0.4],
    [-0.5, 0.25, 0.125, -0.75, 0.6],
    [0.3, -0.1, 0.9, 0.2, -0.05],
    [-0.2, 0.05, 0.0, 0.1, 0.3],
]


def lerp(start, end, weight):  # torch.lerp
    return start + weight * (end - start) if weight < 0.5 else end - (end - start) * (1 - weight)


def norm(v):
    return math.sqrt(sum(e * e for e in v))


class Sgd:  # torch.optim.SGD; decoupled: param.mul_(1 - lr*wd) first (as AdamW)
    def __init__(self, lr, momentum=0.0, dampening=0.0, weight_decay=0.0, nesterov=False,
                 decoupled=False, maximize=False):
        self.__dict__.update(locals())
        self.buf = None

    def step(self, p, grad, no_decay):
        wd = 0.0 if no_decay else self.weight_decay
        g = [-e for e in grad] if self.maximize else list(grad)
        if wd != 0 and self.decoupled:
            p = [e * (1 - self.lr * wd) for e in p]
        elif wd != 0:
            g = [gi + wd * pi for gi, pi in zip(g, p)]
        if self.momentum != 0:
            if self.buf is None:
                self.buf = list(g)
            else:
                self.buf = [self.momentum * b + (1 - self.dampening) * gi
                            for b, gi in zip(self.buf, g)]
            if self.nesterov:
                g = [gi + self.momentum * b for gi, b in zip(g, self.buf)]
            else:
                g = list(self.buf)
        return [pi - self.lr * gi for pi, gi in zip(p, g)]


class Adagrad:  # torch.optim.Adagrad
    def __init__(self, lr, lr_decay=0.0, weight_decay=0.0, initial_accumulator_value=0.0,
                 eps=1e-10, decoupled=False):
        self.__dict__.update(locals())
        self.sum = None
        self.t = 0

    def step(self, p, grad, no_decay):
        wd = 0.0 if no_decay else self.weight_decay
        if self.sum is None:
            self.sum = [self.initial_accumulator_value] * len(p)
        self.t += 1
        g = list(grad)
        clr = self.lr / (1 + (self.t - 1) * self.lr_decay)
        if wd != 0 and self.decoupled:
            p = [e * (1 - clr * wd) for e in p]
        elif wd != 0:
            g = [gi + wd * pi for gi, pi in zip(g, p)]
        self.sum = [s + gi * gi for s, gi in zip(self.sum, g)]
        return [pi - clr * gi / (math.sqrt(s) + self.eps) for pi, gi, s in zip(p, g, self.sum)]


class Rmsprop:  # torch.optim.RMSprop
    def __init__(self, lr, alpha=0.99, eps=1e-8, weight_decay=0.0, momentum=0.0, centered=False,
                 decoupled=False):
        self.__dict__.update(locals())
        self.sq = self.avg = self.buf = None

    def step(self, p, grad, no_decay):
        wd = 0.0 if no_decay else self.weight_decay
        n = len(p)
        if self.sq is None:
            self.sq, self.avg, self.buf = [0.0] * n, [0.0] * n, [0.0] * n
        g = list(grad)
        if wd != 0 and self.decoupled:
            p = [e * (1 - self.lr * wd) for e in p]
        elif wd != 0:
            g = [gi + wd * pi for gi, pi in zip(g, p)]
        self.sq = [self.alpha * s + (1 - self.alpha) * gi * gi for s, gi in zip(self.sq, g)]
        if self.centered:
            self.avg = [lerp(a, gi, 1 - self.alpha) for a, gi in zip(self.avg, g)]
            denom = [math.sqrt(s - a * a) + self.eps for s, a in zip(self.sq, self.avg)]
        else:
            denom = [math.sqrt(s) + self.eps for s in self.sq]
        if self.momentum > 0:
            self.buf = [self.momentum * b + gi / d for b, gi, d in zip(self.buf, g, denom)]
            return [pi - self.lr * b for pi, b in zip(p, self.buf)]
        return [pi - self.lr * gi / d for pi, gi, d in zip(p, g, denom)]


class Adam:  # torch.optim.Adam / AdamW (decoupled), amsgrad flag
    def __init__(self, lr, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, amsgrad=False,
                 decoupled=False, maximize=False):
        self.__dict__.update(locals())
        self.m = self.v = self.vmax = None
        self.t = 0

    def step(self, p, grad, no_decay):
        wd = 0.0 if no_decay else self.weight_decay
        b1, b2 = self.betas
        n = len(p)
        if self.m is None:
            self.m, self.v, self.vmax = [0.0] * n, [0.0] * n, [0.0] * n
        self.t += 1
        g = [-e for e in grad] if self.maximize else list(grad)
        if wd != 0 and self.decoupled:
            p = [e * (1 - self.lr * wd) for e in p]
        elif wd != 0:
            g = [gi + wd * pi for gi, pi in zip(g, p)]
        self.m = [lerp(m, gi, 1 - b1) for m, gi in zip(self.m, g)]
        self.v = [b2 * v + (1 - b2) * gi * gi for v, gi in zip(self.v, g)]
        bc1 = 1 - b1 ** self.t
        bc2 = 1 - b2 ** self.t
        step_size = self.lr / bc1
        bc2_sqrt = math.sqrt(bc2)
        if self.amsgrad:
            self.vmax = [max(a, b) for a, b in zip(self.vmax, self.v)]
            denom = [math.sqrt(v) / bc2_sqrt + self.eps for v in self.vmax]
        else:
            denom = [math.sqrt(v) / bc2_sqrt + self.eps for v in self.v]
        return [pi - step_size * m / d for pi, m, d in zip(p, self.m, denom)]


class Nadam:  # torch.optim.NAdam (decoupled_weight_decay flag)
    def __init__(self, lr, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, momentum_decay=4e-3,
                 decoupled=False):
        self.__dict__.update(locals())
        self.m = self.v = None
        self.t = 0
        self.mu_product = 1.0

    def step(self, p, grad, no_decay):
        wd = 0.0 if no_decay else self.weight_decay
        b1, b2 = self.betas
        n = len(p)
        if self.m is None:
            self.m, self.v = [0.0] * n, [0.0] * n
        self.t += 1
        bc2 = 1 - b2 ** self.t
        g = list(grad)
        if wd != 0 and self.decoupled:
            p = [e * (1 - self.lr * wd) for e in p]
        elif wd != 0:
            g = [gi + wd * pi for gi, pi in zip(g, p)]
        mu = b1 * (1.0 - 0.5 * 0.96 ** (self.t * self.momentum_decay))
        mu_next = b1 * (1.0 - 0.5 * 0.96 ** ((self.t + 1) * self.momentum_decay))
        self.mu_product *= mu
        self.m = [lerp(m, gi, 1 - b1) for m, gi in zip(self.m, g)]
        self.v = [b2 * v + (1 - b2) * gi * gi for v, gi in zip(self.v, g)]
        denom = [math.sqrt(v / bc2) + self.eps for v in self.v]
        mu_product_next = self.mu_product * mu_next
        p = [pi - self.lr * (1.0 - mu) / (1.0 - self.mu_product) * gi / d
             for pi, gi, d in zip(p, g, denom)]
        return [pi - self.lr * mu_next / (1.0 - mu_product_next) * m / d
                for pi, m, d in zip(p, self.m, denom)]


class Lars:  # d = g + wd x; q = eta |x|/|d| (1 if a norm is 0); v = mu v + q d; x -= lr v
    def __init__(self, lr, momentum=0.9, trust_coefficient=1e-3, weight_decay=0.0,
                 maximize=False):
        self.__dict__.update(locals())
        self.v = None

    def step(self, p, grad, no_decay):
        wd = 0.0 if no_decay else self.weight_decay
        if self.v is None:
            self.v = [0.0] * len(p)
        g = [-e for e in grad] if self.maximize else list(grad)
        d = [gi + wd * pi for gi, pi in zip(g, p)]
        q = 1.0
        if not no_decay and norm(p) > 0 and norm(d) > 0:
            q = self.trust_coefficient * norm(p) / norm(d)
        self.v = [self.momentum * v + q * di for v, di in zip(self.v, d)]
        return [pi - self.lr * v for pi, v in zip(p, self.v)]


class Lamb:  # r = m_hat/(sqrt(v_hat) + eps) + wd x; x -= lr phi(|x|)/|r| r (1 if a norm is 0)
    def __init__(self, lr, betas=(0.9, 0.999), eps=1e-6, weight_decay=0.0, bias_correction=True,
                 clip=None):
        self.__dict__.update(locals())
        self.m = self.v = None
        self.t = 0

    def step(self, p, grad, no_decay):
        wd = 0.0 if no_decay else self.weight_decay
        b1, b2 = self.betas
        if self.m is None:
            self.m, self.v = [0.0] * len(p), [0.0] * len(p)
        self.t += 1
        self.m = [b1 * m + (1 - b1) * gi for m, gi in zip(self.m, grad)]
        self.v = [b2 * v + (1 - b2) * gi * gi for v, gi in zip(self.v, grad)]
        c1 = 1 - b1 ** self.t if self.bias_correction else 1.0
        c2 = 1 - b2 ** self.t if self.bias_correction else 1.0
        r = [(m / c1) / (math.sqrt(v / c2) + self.eps) + wd * pi
             for m, v, pi in zip(self.m, self.v, p)]
        ratio = 1.0
        if not no_decay and norm(p) > 0 and norm(r) > 0:
            phi = norm(p) if self.clip is None else min(max(norm(p), self.clip[0]), self.clip[1])
            ratio = phi / norm(r)
        return [pi - self.lr * ratio * ri for pi, ri in zip(p, r)]


# (name, StepRuleOptions as key=value, step size, factory of one optimizer per block; grads
# negated: the C++ side feeds F = -grad on maximizing blocks)
CASES = [
    ("sgd coupled weight decay", "rule=sgd weight_decay=0.1", 0.1,
     lambda: Sgd(0.1, weight_decay=0.1)),
    ("sgd decoupled weight decay", "rule=sgd weight_decay=0.1 decoupled_weight_decay=true", 0.1,
     lambda: Sgd(0.1, weight_decay=0.1, decoupled=True)),
    ("momentum dampening and weight decay",
     "rule=momentum momentum=0.9 dampening=0.3 weight_decay=0.05", 0.1,
     lambda: Sgd(0.1, momentum=0.9, dampening=0.3, weight_decay=0.05)),
    ("momentum defaults", "rule=momentum", 0.05, lambda: Sgd(0.05, momentum=0.9)),
    ("nesterov weight decay", "rule=nesterov momentum=0.8 weight_decay=0.05", 0.1,
     lambda: Sgd(0.1, momentum=0.8, weight_decay=0.05, nesterov=True)),
    ("nesterov dampening decoupled",
     "rule=nesterov momentum=0.7 dampening=0.5 weight_decay=0.2 decoupled_weight_decay=true", 0.1,
     lambda: Sgd(0.1, momentum=0.7, dampening=0.5, weight_decay=0.2, nesterov=True,
                 decoupled=True)),
    ("adagrad defaults", "rule=adagrad", 0.01, lambda: Adagrad(0.01)),
    ("adagrad lr_decay accumulator weight decay",
     "rule=adagrad lr_decay=0.1 initial_accumulator_value=0.5 weight_decay=0.1", 0.1,
     lambda: Adagrad(0.1, lr_decay=0.1, initial_accumulator_value=0.5, weight_decay=0.1)),
    ("adagrad decoupled", "rule=adagrad lr_decay=0.2 weight_decay=0.3 decoupled_weight_decay=true",
     0.1, lambda: Adagrad(0.1, lr_decay=0.2, weight_decay=0.3, decoupled=True)),
    ("rmsprop defaults", "rule=rmsprop", 0.01, lambda: Rmsprop(0.01)),
    ("rmsprop centred momentum weight decay",
     "rule=rmsprop centered=true momentum=0.5 alpha=0.9 weight_decay=0.1", 0.01,
     lambda: Rmsprop(0.01, alpha=0.9, momentum=0.5, centered=True, weight_decay=0.1)),
    ("rmsprop centred decoupled",
     "rule=rmsprop centered=true weight_decay=0.1 decoupled_weight_decay=true", 0.01,
     lambda: Rmsprop(0.01, centered=True, weight_decay=0.1, decoupled=True)),
    ("adam defaults", "rule=adam", 0.001, lambda: Adam(0.001)),
    ("adam coupled weight decay eps", "rule=adam weight_decay=0.1 epsilon=0.01 beta1=0.5", 0.1,
     lambda: Adam(0.1, betas=(0.5, 0.999), eps=0.01, weight_decay=0.1)),
    ("adam amsgrad", "rule=adam amsgrad=true weight_decay=0.1", 0.1,
     lambda: Adam(0.1, weight_decay=0.1, amsgrad=True)),
    ("adamw", "rule=adamw weight_decay=0.1 beta2=0.9", 0.1,
     lambda: Adam(0.1, betas=(0.9, 0.9), weight_decay=0.1, decoupled=True)),
    ("adamw amsgrad", "rule=adamw amsgrad=true weight_decay=0.1", 0.1,
     lambda: Adam(0.1, weight_decay=0.1, amsgrad=True, decoupled=True)),
    ("adam decoupled is adamw", "rule=adam decoupled_weight_decay=true weight_decay=0.1", 0.1,
     lambda: Adam(0.1, weight_decay=0.1, decoupled=True)),
    ("nadam defaults", "rule=nadam", 0.002, lambda: Nadam(0.002)),
    ("nadam weight decay momentum_decay", "rule=nadam weight_decay=0.1 momentum_decay=0.5", 0.1,
     lambda: Nadam(0.1, weight_decay=0.1, momentum_decay=0.5)),
    ("nadam decoupled", "rule=nadam weight_decay=0.1 decoupled_weight_decay=true beta1=0.8", 0.1,
     lambda: Nadam(0.1, betas=(0.8, 0.999), weight_decay=0.1, decoupled=True)),
    ("lars", "rule=lars trust_coefficient=0.02 weight_decay=0.01", 0.5,
     lambda: Lars(0.5, momentum=0.9, trust_coefficient=0.02, weight_decay=0.01)),
    ("lars no momentum", "rule=lars momentum=0 weight_decay=0.3", 0.5,
     lambda: Lars(0.5, momentum=0.0, weight_decay=0.3)),
    ("lamb defaults", "rule=lamb", 0.001, lambda: Lamb(0.001)),
    ("lamb weight decay", "rule=lamb weight_decay=0.01", 0.1, lambda: Lamb(0.1, weight_decay=0.01)),
    ("lamb clip no bias correction",
     "rule=lamb phi=clip phi_min=0.5 phi_max=1.5 bias_correction=false weight_decay=0.1", 0.1,
     lambda: Lamb(0.1, weight_decay=0.1, bias_correction=False, clip=(0.5, 1.5))),
    ("no_decay empty decays the bias", "rule=sgd weight_decay=0.1 no_decay=", 0.1, None),
]

# Ascent: torch's maximize=True with gradient grad equals the rule on F = -grad.
MAXIMIZE = [
    ("maximize sgd momentum", "rule=momentum weight_decay=0.1", 0.1,
     lambda: Sgd(0.1, momentum=0.9, weight_decay=0.1, maximize=True)),
    ("maximize adam", "rule=adam weight_decay=0.1", 0.1,
     lambda: Adam(0.1, weight_decay=0.1, maximize=True)),
    ("maximize lars", "rule=lars weight_decay=0.1", 0.5,
     lambda: Lars(0.5, weight_decay=0.1, maximize=True)),
]


def trajectory(factory, no_decay_bias=True):
    x = list(X0)
    out = [list(x)]
    optimizers = [factory() for _ in BLOCKS]
    for grad in GRADS:
        new = list(x)
        for (offset, size, no_decay), opt in zip(BLOCKS, optimizers):
            new[offset:offset + size] = opt.step(x[offset:offset + size],
                                                 grad[offset:offset + size],
                                                 no_decay and no_decay_bias)
        x = new
        out.append(list(x))
    return out


def cpp_vector(v):
    return "{" + ", ".join(repr(float(e)) for e in v) + "}"


def main():
    print("// Generated by tests/golden/optimizers.py: do not edit; regenerate with")
    print("//   python3 tests/golden/optimizers.py > tests/golden/optimizers_golden.inc")
    print("const std::vector<double> kGoldenX0 = " + cpp_vector(X0) + ";")
    print("const std::vector<std::vector<double>> kGoldenGrads = {")
    for g in GRADS:
        print("    " + cpp_vector(g) + ",")
    print("};")
    print("const std::vector<GoldenCase> kGoldenCases = {")
    for name, options, lr, factory in CASES + MAXIMIZE:
        if factory is None:  # no exclusion: every block decays
            rows = trajectory(lambda: Sgd(0.1, weight_decay=0.1), no_decay_bias=False)
        else:
            rows = trajectory(factory)
        maximize = "true" if name.startswith("maximize") else "false"
        print(f'    {{"{name}", "{options}", {lr!r}, {maximize},')
        print("     {" + ",\n      ".join(cpp_vector(r) for r in rows) + "}},")
    print("};")


if __name__ == "__main__":
    main()
