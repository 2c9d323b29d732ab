// Labels in English and Chinese; the page switches with the button in the header.
window.I18N = {
  en: {
    title: "Operations", signin: "Sign in", signout: "Sign out", username: "Username", password: "Password",
    from: "From", to: "To (exclusive)", refresh: "Refresh", exports: "Exports", csv_sales: "Sales CSV",
    csv_inventory: "Inventory CSV", chart_sales: "Revenue per day by channel",
    chart_processing: "Order processing time (hours, per week)", chart_inventory: "Inventory value and turnover (per week)",
    chart_tickets: "Ticket SLA (per week)", chart_forecast: "Forecast vs actual", slow_movers: "Slow movers",
    alerts: "Open alerts", orders: "Orders", revenue: "Revenue", aov: "Average order value", fill_rate: "Fill rate (units, 24 h)",
    to_shipped: "Placed → shipped p50 (h)", inventory_value: "Inventory value", turnover: "Turnover",
    slow_share: "Slow movers (share of SKUs)", sla_breach: "Ticket SLA breach rate", first_response: "First response p50 (h)",
    mase: "Forecast MASE", p50: "p50", p90: "p90", value: "Value", actual: "Actual", forecast: "Forecast",
    live: "live", reconnecting: "reconnecting…", bad_login: "Wrong username or password", vs_previous: "vs previous",
    sku: "SKU", warehouse: "Warehouse", on_hand: "On hand", breach: "Breach rate",
  },
  zh: {
    title: "运营看板", signin: "登录", signout: "退出", username: "用户名", password: "密码",
    from: "开始", to: "结束（不含）", refresh: "刷新", exports: "导出", csv_sales: "销售 CSV",
    csv_inventory: "库存 CSV", chart_sales: "各渠道每日收入", chart_processing: "订单处理时长（小时，按周）",
    chart_inventory: "库存价值与周转（按周）", chart_tickets: "工单 SLA（按周）", chart_forecast: "预测与实际",
    slow_movers: "滞销品", alerts: "未处理告警", orders: "订单数", revenue: "收入", aov: "客单价",
    fill_rate: "满足率（件，24 小时）", to_shipped: "下单→发货 p50（小时）", inventory_value: "库存价值", turnover: "周转率",
    slow_share: "滞销品占比（SKU）", sla_breach: "工单 SLA 违约率", first_response: "首次响应 p50（小时）",
    mase: "预测 MASE", p50: "p50", p90: "p90", value: "价值", actual: "实际", forecast: "预测",
    live: "实时", reconnecting: "重新连接中…", bad_login: "用户名或密码错误", vs_previous: "环比",
    sku: "SKU", warehouse: "仓库", on_hand: "在库", breach: "违约率",
  },
};
