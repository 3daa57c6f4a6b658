"""How responsive the dashboard is: one simulated day, and the redraw of each live plot.

Prints, for the default market (10,000 customers and 10,000 prospects, retail journey),
the wall time of one day of the model (CXModel.step), of one day in compare mode (the
baseline steps too), of building the live charts the browser draws (ECharts options as
JSON, what goes over the wire each frame), and of drawing the journey map as the PNG
the page shows (matplotlib; redrawn every 10 days while playing), as medians over a
year, and the charts on the last day, when they hold 365 days.

    .venv/bin/python experiments/bench_dashboard.py
"""

import io
import json
import statistics
import time

from sim.app.dashboard import Session, Settings


def median_ms(samples: list[float]) -> float:
    return 1000 * statistics.median(samples)


def main() -> None:
    for compare in (False, True):
        session = Session(Settings(customers=10_000, compare=compare))
        session.step(1)  # numba kernels compiled or loaded from the cache
        days, charts, maps = [], [], []
        for day in range(364):
            start = time.perf_counter()
            session.step(1)
            days.append(time.perf_counter() - start)
            start = time.perf_counter()
            payload = json.dumps(session.charts())
            charts.append(time.perf_counter() - start)
            if day % 10 == 0:  # as when playing: every 10 days
                start = time.perf_counter()
                session.journey_map_figure().savefig(io.BytesIO(), format="png", dpi=80)
                maps.append(time.perf_counter() - start)
        mode = "compare with baseline" if compare else "one model"
        print(f"{mode}: 10,000 customers + 10,000 prospects, retail journey, 365 days")
        print(f"  one simulated day                    {median_ms(days):7.1f} ms")
        print(f"  live charts (JSON)                   {median_ms(charts):7.1f} ms")
        print(f"  live charts on the last day ({len(payload) // 1024} kB)  "
              f"{1000 * charts[-1]:7.1f} ms")
        both = median_ms(days) + median_ms(charts)
        print(f"  a day + the live charts              {both:7.1f} ms")
        print(f"  journey map (PNG)                    {median_ms(maps):7.1f} ms")


if __name__ == "__main__":
    main()
