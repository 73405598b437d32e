"""The base app every Django corpus case starts from: what production already runs.

Each case is a copy of this app (label c_<case>) whose 0001_initial is applied, with the case as
its pending 0002_case. Corpus files spell the app label `base`; the test rewrites it. The ids are
AutoField (a project from before DEFAULT_AUTO_FIELD), so a case can move one to BigAutoField.
"""
from django.db import models


class Customer(models.Model):
    email = models.EmailField(unique=True)
    name = models.CharField(max_length=100, db_index=True)
    nickname = models.CharField(max_length=50, null=True, blank=True)
    phone = models.CharField(max_length=20, null=True, blank=True)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)


class Product(models.Model):
    name = models.CharField(max_length=200)
    price = models.DecimalField(max_digits=10, decimal_places=2)
    sku = models.CharField(max_length=32, null=True, blank=True)
    legacy_code = models.CharField(max_length=20, null=True, blank=True)
    description = models.TextField(blank=True)
    weight_grams = models.IntegerField(null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(check=models.Q(price__gte=0), name="base_product_price_gte_0"),
        ]


class Order(models.Model):
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE)
    product = models.ForeignKey(Product, on_delete=models.PROTECT)
    quantity = models.IntegerField()
    status = models.CharField(max_length=20)
    note = models.TextField(null=True, blank=True)
    total = models.DecimalField(max_digits=10, decimal_places=2, null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [
            models.Index(fields=["created_at"], name="base_order_created_idx"),
        ]


class AuditLog(models.Model):
    message = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)
