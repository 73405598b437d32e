from django.db import models


class Product(models.Model):
    name = models.CharField(max_length=200)
    price = models.DecimalField(max_digits=10, decimal_places=2)
    sku = models.CharField(max_length=32)

    class Meta:
        indexes = [models.Index(fields=["name"], name="shop_product_name_idx")]

    def __str__(self):
        return self.name


class Order(models.Model):
    customer = models.ForeignKey("accounts.Customer", on_delete=models.PROTECT, related_name="orders")
    product = models.ForeignKey(Product, on_delete=models.PROTECT)
    quantity = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    coupon_code = models.CharField(max_length=32, null=True, blank=True, db_index=True)
    shipped_at = models.DateTimeField(null=True, blank=True)
    referrer = models.ForeignKey(
        "accounts.Customer",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="referred_orders",
    )
    # Also has a database default of 0 (migration 0012).
    total = models.DecimalField(max_digits=10, decimal_places=2, null=True, blank=True)
