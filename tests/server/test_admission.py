"""New pages take their turn while other pages train (server/admission.py)."""
import asyncio
import concurrent.futures
import time

from bokeh.application import Application
from bokeh.application.handlers import FunctionHandler
from bokeh.document import Document
from bokeh.server.contexts import ApplicationContext

from playground.server import admission
from playground.ui.parts import PutPace


def run(coro):
    """``asyncio.run`` in a thread of its own: a test process may have an event loop
    running in this one (a browser test's, in the same worker)."""
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coro).result()


class FakeClock:
    def __init__(self):
        self.now = 100.0

    def __call__(self):
        return self.now

    async def sleep(self, s):
        self.now += s
        await asyncio.sleep(0)


def test_a_session_waits_until_the_pace_allows_a_page_at_most_max_wait():
    clock = FakeClock()
    pace = PutPace(share=2.0, clock=clock)
    gate = admission.Admission(pace, max_wait_s=4.0, sleep=clock.sleep)

    async def main():
        assert await gate.turn() < 0.01 and clock.now == 100.0     # nobody built: at once
        clock.now -= 0.5                                           # a page took 0.5 s
        pace.put(clock.now - 0.5, others=0)                        # nobody trains: no wait
        start = clock.now
        await gate.turn()
        assert clock.now == start
        pace.put(clock.now - 0.5, others=3)                        # others train: 2 x 0.5 s
        start = clock.now
        await gate.turn()
        assert 1.0 <= clock.now - start <= 1.0 + admission.POLL_S
        pace.next_at = float("inf")                                # never: at most max_wait
        start = clock.now
        await gate.turn()
        assert 4.0 <= clock.now - start <= 4.0 + admission.POLL_S

    run(main())


def test_sessions_that_arrive_together_are_made_one_after_another_at_the_pace():
    """Bokeh awaits the handler before it makes the session's document: sessions asked
    for at once are made one after the other, each 2 x what the last took later (others
    training), not back to back; each asks for its page (``prepare``) in its turn. (On a
    clock of the test's: on the real one, a runner busy elsewhere could delay a session
    past its turn, so that it had nothing left to wait for.)"""
    clock = FakeClock()
    pace = PutPace(share=2.0, clock=clock)
    made = []

    def make(doc):
        started = clock.now
        clock.now += 0.05                      # what making a page holds the loop
        made.append((started, clock.now))
        pace.put(started, others=1)

    asked = []                                 # pages made when each session asked
    app = Application(FunctionHandler(make))
    gate = admission.Admission(pace, sleep=clock.sleep,
                               prepare=lambda ctx: asked.append(len(made)))
    app.add(gate)

    async def main():
        context = ApplicationContext(app, url="/app")
        await asyncio.gather(*(context.create_session_if_needed(f"s{i}") for i in range(3)))

    run(main())
    assert len(made) == 3
    for (_, end), (start, _) in zip(made, made[1:]):
        assert 2 * 0.05 - 1e-9 <= start - end <= 2 * 0.05 + admission.POLL_S, made
    assert gate.waited == 2
    assert asked == [0, 1, 2]      # each asked for its page in its turn, after the last one's


def test_install_adds_one_admission_to_the_serving_application():
    pace = PutPace()
    assert admission.install(Document(), pace) is None             # not served: nothing
    app = Application(FunctionHandler(lambda doc: None))
    context = ApplicationContext(app, url="/app")

    async def main():
        return [await context.create_session_if_needed(f"s{i}") for i in range(2)]

    sessions = run(main())
    first = admission.install(sessions[0].document, pace)
    assert isinstance(first, admission.Admission) and first in app.handlers
    assert admission.install(sessions[1].document, pace) is first  # once per application
    assert sum(isinstance(h, admission.Admission) for h in app.handlers) == 1


def test_a_session_waits_for_the_page_prepared_for_it_at_most_max_wait():
    import threading
    pace = PutPace()
    futures = []

    def prepare(session_context):
        f = concurrent.futures.Future()
        futures.append(f)
        threading.Timer(0.2, f.set_result, args=[session_context]).start()
        return f

    gate = admission.Admission(pace, prepare=prepare)
    seen = []

    async def watch():                      # while its page is made, nothing else is built
        await asyncio.sleep(0.1)
        seen.append(pace.may_put())

    async def main():
        t = time.perf_counter()
        await asyncio.gather(gate.on_session_created("ctx"), watch())
        return time.perf_counter() - t

    assert run(main()) >= 0.19 and futures[0].result() == "ctx"
    assert seen == [False]
    pace.put(pace.clock(), others=0)        # the page made (app.py): building goes on
    assert pace.may_put()
    never = admission.Admission(pace, max_wait_s=0.3,
                                prepare=lambda ctx: concurrent.futures.Future())
    t = time.perf_counter()
    run(never.on_session_created("ctx"))
    assert 0.29 <= time.perf_counter() - t < 2.0
    broken = admission.Admission(pace, prepare=lambda ctx: 1 / 0)   # made on the loop
    run(broken.on_session_created("ctx"))
