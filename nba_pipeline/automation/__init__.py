"""What makes the platform run itself: jobs, sensors, schedules, self-heal and stalled-run recovery."""
