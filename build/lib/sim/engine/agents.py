"""Mesa agents as handles: a Customer reads and writes its row of the model's arrays.

The day loop never touches these objects (it runs over the arrays in numba); they are
for people: `model.agents`, selecting by segment, inspecting one customer in a
notebook or a dashboard.
"""

import mesa

from sim.engine.state import STATUS_NAMES


class Customer(mesa.Agent):
    """One person in the market (customer, prospect or lapsed customer)."""

    def __init__(self, model: mesa.Model, index: int) -> None:
        super().__init__(model)
        self.index = int(index)

    @property
    def status(self) -> str:
        return STATUS_NAMES[self.model.state.status[self.index]]

    @property
    def segment(self) -> str:
        return self.model.segment_names[self.model.state.segment[self.index]]

    @property
    def attitude(self) -> float:
        return float(self.model.state.attitude[self.index])

    @property
    def expectation(self) -> float:
        return float(self.model.state.expectation[self.index])

    @property
    def touchpoint(self) -> str | None:
        tp = int(self.model.state.touchpoint[self.index])
        return self.model.journey.names[tp] if tp >= 0 else None

    @property
    def revenue(self) -> float:
        return float(self.model.state.revenue[self.index])

    def __repr__(self) -> str:
        return (
            f"Customer({self.index}, {self.status}, segment={self.segment}, "
            f"attitude={self.attitude:.2f})"
        )
