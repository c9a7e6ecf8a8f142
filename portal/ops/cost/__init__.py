"""AWS cost through Cost Explorer: month to date, daily, by service and app, forecast, budget."""
