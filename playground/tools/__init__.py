"""The developer's tools: benchmarks, the load test and the machine's speed probe. None of
them is part of the served page; each runs as ``python -m playground.tools.<name>``
(``python -m playground.bench``, ``playground.bench_devices`` and ``playground.loadtest``
are kept as short entry points to the same code).

* ``bench``: the engine and the page's server-side frame (JSON, under two minutes);
* ``bench_browser``: the page in headless Chromium beside TensorFlow Playground's build;
* ``bench_descent``, ``bench_digits``: the gradient-descent lab's and the digits CNN's hot
  paths (also part of ``bench``);
* ``bench_devices``: every device of the machine (CPU, GPU where there is one);
* ``loadtest``: a classroom in a box: N sessions against one server, fairness, soak;
* ``machine``: a fixed numpy workload that says how busy the machine was;
* ``numpy_mlp``: a plain numpy MLP, the reference the engine benchmark compares with.
"""
