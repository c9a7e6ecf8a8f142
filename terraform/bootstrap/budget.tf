# The account's monthly budget (PLATFORM.md: 50 USD) with forecast alerts at 50%, 80% and 100%,
# plus one alert when the actual spend passes the limit. docs/cost.md explains the figures.

locals {
  forecast_alert_percents = [50, 80, 100]
  cost_allocation_tags    = ["app", "env", "owner"]
}

resource "aws_budgets_budget" "this" {
  name         = "${var.app}-monthly"
  budget_type  = "COST"
  limit_amount = tostring(var.monthly_budget_usd)
  limit_unit   = "USD"
  time_unit    = "MONTHLY"

  dynamic "notification" {
    for_each = local.forecast_alert_percents
    content {
      comparison_operator        = "GREATER_THAN"
      threshold                  = notification.value
      threshold_type             = "PERCENTAGE"
      notification_type          = "FORECASTED"
      subscriber_email_addresses = var.budget_alert_emails
    }
  }

  notification {
    comparison_operator        = "GREATER_THAN"
    threshold                  = 100
    threshold_type             = "PERCENTAGE"
    notification_type          = "ACTUAL"
    subscriber_email_addresses = var.budget_alert_emails
  }
}

# Cost Explorer groups by these tags only once they are active (the portal's cost panel does).
resource "aws_ce_cost_allocation_tag" "this" {
  for_each = var.activate_cost_allocation_tags ? toset(local.cost_allocation_tags) : toset([])

  tag_key = each.key
  status  = "Active"
}
