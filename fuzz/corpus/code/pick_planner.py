#!/usr/bin/env python3
"""pick_planner.py — orders the picks of one tote for the Kestrel arm.

A greedy nearest-neighbour tour over the item positions, then a 2-opt pass.
Good enough for totes of up to 40 items; the arm spends most of its time
gripping, not moving.
"""
import math
from dataclasses import dataclass

GRIP_SECONDS = 2.9      # measured on gripper v2 (design review, March 2)
ARM_SPEED_M_S = 1.2


@dataclass
class Item:
    sku: str
    x: float
    y: float


def distance(a, b):
    return math.hypot(a.x - b.x, a.y - b.y)


def plan_tour(items, start=Item("home", 0.0, 0.0)):
    """Nearest-neighbour order, improved by 2-opt."""
    left = list(items)
    tour = []
    here = start
    while left:
        nxt = min(left, key=lambda it: distance(here, it))
        left.remove(nxt)
        tour.append(nxt)
        here = nxt
    return two_opt(tour)


def two_opt(tour):
    improved = True
    while improved:
        improved = False
        for i in range(len(tour) - 2):
            for j in range(i + 2, len(tour)):
                a, b = tour[i], tour[i + 1]
                c, d = tour[j], tour[(j + 1) % len(tour)]
                if distance(a, c) + distance(b, d) < distance(a, b) + distance(c, d):
                    tour[i + 1:j + 1] = reversed(tour[i + 1:j + 1])
                    improved = True
    return tour


class Estimator:
    """Picks per hour for a planned tour."""

    def __init__(self, grip_s=GRIP_SECONDS, speed=ARM_SPEED_M_S):
        self.grip_s = grip_s
        self.speed = speed

    def picks_per_hour(self, tour):
        travel = sum(distance(a, b) for a, b in zip(tour, tour[1:]))
        seconds = travel / self.speed + self.grip_s * len(tour)
        return 3600.0 * len(tour) / seconds if seconds else 0.0


if __name__ == "__main__":
    tote = [Item("A-1", 0.2, 0.1), Item("B-7", 0.5, 0.4), Item("C-3", 0.1, 0.6)]
    print(f"{Estimator().picks_per_hour(plan_tour(tote)):.0f} picks/hour")
