"""Helpers for driving the HTML views in headless Chromium (Playwright pages)."""

from __future__ import annotations


def point_of(page, node_id: str) -> dict:
    """Page coordinates of a node's centre, and the node vis finds at that point."""
    return page.evaluate("""(id) => {
        const canvasPoint = network.canvasToDOM(network.getPositions([id])[id]);
        const box = document.getElementById('tg-network').getBoundingClientRect();
        return {x: box.left + canvasPoint.x, y: box.top + canvasPoint.y, at: network.getNodeAt(canvasPoint)};
    }""", node_id)
