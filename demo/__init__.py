"""A whole cage on one machine: broker, hub and two simulated kiosks, with a scripted scenario."""
