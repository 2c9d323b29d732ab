-- Money, part 1: unit costs. Standard cost on products, the moving-average unit cost on stock levels, and the
-- cost of goods shipped and refunded amounts on orders (all projected from events; D12).
ALTER TABLE product_catalog ADD COLUMN IF NOT EXISTS unit_cost numeric(18, 4);
ALTER TABLE product_catalog ADD COLUMN IF NOT EXISTS cost_currency text;
ALTER TABLE stock_levels ADD COLUMN IF NOT EXISTS unit_cost numeric(18, 4);
ALTER TABLE stock_levels ADD COLUMN IF NOT EXISTS currency text;
ALTER TABLE order_summary ADD COLUMN IF NOT EXISTS cogs numeric(18, 2) NOT NULL DEFAULT 0;
ALTER TABLE order_summary ADD COLUMN IF NOT EXISTS refunded numeric(18, 2) NOT NULL DEFAULT 0;
ALTER TABLE order_summary_lines ADD COLUMN IF NOT EXISTS cogs numeric(18, 2) NOT NULL DEFAULT 0;
