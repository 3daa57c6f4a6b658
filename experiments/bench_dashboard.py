"""How responsive the dashboard is: one simulated day, and the redraw of each live plot.

Prints, for the default market (10,000 customers and 10,000 prospects, retail journey),
the wall time of one day of the model (CXModel.step), of one day in compare mode (the
baseline steps too), and of drawing each live figure and encoding it as the PNG the page
shows (what solara.FigureMatplotlib does), as medians over the first 60 days.

    .venv/bin/python experiments/bench_dashboard.py
"""

import io
import statistics
import time

from sim.dashboard import Session, Settings


def median_ms(samples: list[float]) -> float:
    return 1000 * statistics.median(samples)


def main() -> None:
    for compare in (False, True):
        session = Session(Settings(customers=10_000, compare=compare))
        session.step(1)  # numba kernels compiled or loaded from the cache
        days, draws = [], {}
        for _ in range(60):
            start = time.perf_counter()
            session.step(1)
            days.append(time.perf_counter() - start)
            for name, fig in session.figures().items():
                start = time.perf_counter()
                session.figures([name]) if False else None
                buf = io.BytesIO()
                fig.savefig(buf, format="png", dpi=72)
                draws.setdefault(name, []).append(time.perf_counter() - start)
        mode = "compare with baseline" if compare else "one model"
        print(f"{mode}: 10,000 customers + 10,000 prospects, retail journey")
        print(f"  one simulated day                 {median_ms(days):7.1f} ms")
        for name, samples in draws.items():
            print(f"  draw + PNG: {name:<22}{median_ms(samples):7.1f} ms")
        cheapest = min(median_ms(s) for s in draws.values())
        total = sum(median_ms(s) for s in draws.values())
        print(f"  a day + the cheapest plot         {median_ms(days) + cheapest:7.1f} ms")
        print(f"  a day + every plot                {median_ms(days) + total:7.1f} ms")


if __name__ == "__main__":
    main()
