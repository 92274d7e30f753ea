"""Generate the synthetic SKU catalog scenarios/data/skus.csv.

Deterministic: numpy.random.default_rng(20261126). Uses only numpy + csv.
Run from the repo root:  python scenarios/data/make_skus.py

Each SKU is drawn from an item type with a typical weight (lb), packed
density (lb/ft^3), shape (length/width and width/height ratios) and price.
Weight and price get lognormal noise around the item-type medians; volume
follows from weight / density, and the box dimensions from the shape ratios.
"""

import csv
import pathlib

import numpy as np

SEED = 20261126
N_SKUS = 300
ZIPF_EXPONENT = 0.9
OUT = pathlib.Path(__file__).resolve().parent / "skus.csv"

# category -> list of (item, median weight lb, median density lb/ft^3,
#                      length/width ratio, width/height ratio, median price USD)
# Densities are of the item as it ships: pillows, pet beds and plush toys vacuum-compressed,
# storage bins flat-packed, as e-commerce sellers pack them (uncompressed, these bill several
# times their weight in dimensional weight).
ITEM_TYPES = {
    "Apparel": [
        ("T-Shirt", 0.45, 9.0, 1.3, 6.0, 18),
        ("Hoodie", 1.4, 8.0, 1.3, 4.0, 45),
        ("Jeans", 1.5, 12.0, 1.4, 5.0, 55),
        ("Leggings", 0.5, 10.0, 1.4, 5.0, 28),
        ("Rain Jacket", 1.3, 7.0, 1.3, 4.0, 85),
        ("Socks 6-Pack", 0.6, 11.0, 1.6, 3.0, 16),
        ("Wool Sweater", 1.2, 7.0, 1.3, 4.0, 65),
    ],
    "Footwear": [
        ("Running Shoes", 2.2, 7.0, 1.7, 1.6, 95),
        ("Sandals", 1.1, 8.0, 1.8, 2.5, 35),
        ("Winter Boots", 4.2, 7.0, 1.6, 1.3, 120),
    ],
    "Home Goods": [
        ("Throw Pillow", 1.3, 6.0, 1.1, 3.0, 28),      # vacuum-compressed
        ("Bed Pillow", 2.2, 6.0, 1.5, 3.0, 35),        # vacuum-compressed, rolled
        ("Throw Blanket", 2.5, 8.0, 1.3, 2.5, 40),     # folded and bagged
        ("Bath Towel Set", 3.0, 9.0, 1.4, 2.0, 38),
        ("Scented Candle", 1.1, 22.0, 1.1, 1.1, 22),
        ("Picture Frame", 1.2, 14.0, 1.3, 8.0, 19),
        ("Table Lamp", 4.5, 7.0, 1.2, 1.1, 60),        # shade nested in the box
        ("Storage Bins 3-Pack", 2.8, 8.0, 1.1, 5.0, 27),  # collapsible, flat-packed
    ],
    "Kitchen": [
        ("Chef Knife", 0.8, 16.0, 5.0, 3.0, 45),
        ("Nonstick Skillet", 3.2, 10.0, 1.8, 3.0, 40),
        ("Glass Food Containers", 5.5, 14.0, 1.3, 1.5, 32),
        ("Coffee Grinder", 3.0, 10.0, 1.3, 1.0, 42),
        ("Stand Mixer", 22.0, 17.0, 1.4, 1.0, 280),
        ("Cast Iron Dutch Oven", 14.0, 28.0, 1.2, 1.4, 85),
        ("Insulated Tumbler", 0.9, 6.0, 2.2, 1.0, 25),
    ],
    "Electronics Accessories": [
        ("USB-C Cable", 0.15, 12.0, 1.3, 3.0, 12),
        ("Phone Case", 0.2, 10.0, 1.8, 4.0, 19),
        ("Wireless Earbuds", 0.35, 8.0, 1.2, 2.0, 59),
        ("Power Bank", 0.8, 20.0, 1.7, 2.5, 35),
        ("Bluetooth Speaker", 1.6, 12.0, 1.6, 1.3, 65),
        ("Wireless Charger", 0.5, 14.0, 1.1, 4.0, 25),
        ("Laptop Stand", 2.6, 15.0, 1.2, 4.0, 39),
        ("Mechanical Keyboard", 2.4, 12.0, 3.0, 3.5, 89),
    ],
    "Beauty": [
        ("Face Serum", 0.25, 18.0, 2.2, 1.0, 28),
        ("Shampoo", 1.0, 30.0, 2.2, 1.5, 14),
        ("Lipstick", 0.08, 15.0, 3.0, 1.0, 16),
        ("Moisturizer", 0.5, 22.0, 1.2, 1.4, 24),
        ("Hair Dryer", 1.9, 8.0, 1.6, 2.0, 70),
        ("Makeup Brush Set", 0.6, 6.0, 2.5, 3.0, 22),
        ("Perfume", 0.7, 16.0, 1.2, 1.6, 75),
    ],
    "Toys & Games": [
        ("Board Game", 2.5, 10.0, 1.0, 4.5, 30),
        ("Jigsaw Puzzle", 1.4, 14.0, 1.4, 4.5, 18),
        ("Plush Toy", 0.6, 5.0, 1.3, 1.3, 17),         # compressed in a polybag
        ("Building Block Set", 2.0, 8.0, 1.3, 3.5, 45),
    ],
    "Sports & Outdoors": [
        ("Yoga Mat", 2.8, 6.0, 4.5, 1.0, 32),
        ("Dumbbell Pair", 20.0, 55.0, 2.0, 1.0, 55),
        ("Water Bottle", 0.8, 5.0, 2.8, 1.0, 22),
        ("Camping Headlamp", 0.3, 8.0, 1.5, 1.5, 25),
        ("Resistance Bands", 0.9, 12.0, 1.3, 2.0, 20),
    ],
    "Pet Supplies": [
        ("Dog Treats", 1.2, 14.0, 1.5, 3.0, 14),
        ("Cat Litter Bag", 12.0, 40.0, 1.5, 2.5, 20),
        ("Pet Bed", 3.5, 6.0, 1.2, 3.0, 45),           # vacuum-compressed
        ("Chew Toy", 0.4, 9.0, 1.8, 1.5, 12),
    ],
    "Books & Stationery": [
        ("Hardcover Book", 1.6, 35.0, 1.4, 7.0, 24),
        ("Paperback Book", 0.7, 30.0, 1.5, 6.0, 15),
        ("Notebook 3-Pack", 1.0, 25.0, 1.3, 9.0, 13),
        ("Gel Pen Set", 0.3, 12.0, 3.0, 2.0, 11),
    ],
}
# share of the catalog by category (normalized below)
CATEGORY_SHARE = {
    "Apparel": 0.20, "Footwear": 0.06, "Home Goods": 0.14, "Kitchen": 0.10,
    "Electronics Accessories": 0.14, "Beauty": 0.13, "Toys & Games": 0.07,
    "Sports & Outdoors": 0.07, "Pet Supplies": 0.05, "Books & Stationery": 0.04,
}
ADJECTIVES = ["Classic", "Essential", "Premium", "Everyday", "Eco", "Compact",
              "Deluxe", "Modern", "Signature", "Basic", "Pro", "Lite"]
VARIANTS = ["Black", "White", "Navy", "Gray", "Sage", "Sand", "Red", "Blue",
            "Charcoal", "Blush", "Olive", "Natural"]

WEIGHT_SIGMA = 0.35      # lognormal noise on item-type weight
DENSITY_SIGMA = 0.25     # lognormal noise on packed density
PRICE_SIGMA = 0.30       # lognormal noise on item-type price
MIN_DIM_IN = 0.5         # thinnest packed dimension (polybag / mailer)


def main():
    rng = np.random.default_rng(SEED)
    cats = list(CATEGORY_SHARE)
    share = np.array([CATEGORY_SHARE[c] for c in cats])
    cat_idx = rng.choice(len(cats), size=N_SKUS, p=share / share.sum())

    # Zipf-like popularity, rank^-0.9, ranks shuffled across SKUs/categories
    pop = np.arange(1, N_SKUS + 1, dtype=float) ** -ZIPF_EXPONENT
    pop = rng.permutation(pop / pop.sum())

    rows, used_names = [], set()
    for i in range(N_SKUS):
        cat = cats[cat_idx[i]]
        item, w_med, dens_med, r_lw, r_wh, p_med = ITEM_TYPES[cat][rng.integers(len(ITEM_TYPES[cat]))]

        weight = float(np.clip(w_med * rng.lognormal(0.0, WEIGHT_SIGMA), 0.05, 25.0))
        density = dens_med * rng.lognormal(0.0, DENSITY_SIGMA)          # lb / ft^3
        volume = weight / density * 1728.0                               # in^3
        lw = r_lw * rng.uniform(0.85, 1.2)
        wh = r_wh * rng.uniform(0.85, 1.2)
        height = (volume / (lw * wh * wh)) ** (1.0 / 3.0)
        dims = np.array([height * wh * lw, height * wh, height])
        dims = np.maximum(np.round(dims, 1), MIN_DIM_IN)
        length, width, height = sorted(dims.tolist(), reverse=True)

        price = float(np.clip(p_med * rng.lognormal(0.0, PRICE_SIGMA), 3.0, 300.0))
        price = max(round(price) - 0.01, 3.49)  # retail-style .99 endings

        name = None
        for _ in range(50):
            cand = f"{rng.choice(ADJECTIVES)} {item} - {rng.choice(VARIANTS)}"
            if cand not in used_names:
                name = cand
                break
        if name is None:
            name = f"{item} #{i + 1}"
        used_names.add(name)

        rows.append([f"SKU-{i + 1:04d}", name, cat, f"{weight:.2f}",
                     f"{length:.1f}", f"{width:.1f}", f"{height:.1f}",
                     f"{price:.2f}", f"{pop[i]:.6g}"])

    with open(OUT, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["sku", "name", "category", "weight_lb", "length_in",
                    "width_in", "height_in", "unit_price", "popularity"])
        w.writerows(rows)
    print(f"wrote {len(rows)} SKUs to {OUT}")


if __name__ == "__main__":
    main()
