

def test_the_warm_up_builds_each_lab_once_in_the_builders_thread(monkeypatch):
    """A new server builds the Neuron and Gradient-descent labs once ahead of the first
    click (their computations compiled then), in the thread where pages' labs are built,
    and leaves nothing drawing; then it makes each lab ahead for the first pages, one
    after another."""
    import concurrent.futures
    import threading

    from playground.ui import app as app_module
    built = []
    make = app_module.PlaygroundApp._make_lab

    def recorded(self, name):
        built.append((name, threading.current_thread().name))
        return make(self, name)
    monkeypatch.setattr(app_module.PlaygroundApp, "_make_lab", recorded)
    prepared = []

    def ready(name):                        # made now, and waited for: one at a time
        prepared.append(name)
        done = concurrent.futures.Future()
        done.set_result(None)
        return done
    for name, spare in app_module.SPARE_LABS.items():
        monkeypatch.setattr(spare, "ready", lambda name=name: ready(name))
    app_module.warm_labs()
    assert [name for name, _ in built] == ["neurons", "descent"]
    assert all(thread.startswith("playground-build") for _, thread in built)
    assert not app_module.DRAWING
    # then every lab is made ahead before the warm-up is done, one after another (in the
    # dict's order, which another test may have changed by taking a lab out and back)
    assert sorted(prepared) == ["convolution", "descent", "digits", "neurons"]
    assert prepared == list(app_module.SPARE_LABS)
