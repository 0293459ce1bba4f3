"""Which customer values are personal data, and how each is shown masked.

One rule for every face of the archive (API, 360 page, export, screen-pop): a product's
account number that *is* a phone number (a mobile or fixed-line product) is personal data
and is masked exactly as the customer's own phone is, unless revealed (and logged).
"""

from __future__ import annotations

from kefu.core.masking import mask_phone
from kefu.customers.models import CustomerProduct, ProductKind

# Product kinds whose account number is a phone number (移动号码, 固话号码).
PHONE_ACCOUNT_KINDS = frozenset({ProductKind.MOBILE.value, ProductKind.FIXED_LINE.value})


def is_phone_account(kind: str) -> bool:
    return kind in PHONE_ACCOUNT_KINDS


def masked_account(product: CustomerProduct) -> str:
    """The product's account number as anyone may see it: a phone number masked."""
    if is_phone_account(product.kind):
        return mask_phone(product.account_number)
    return product.account_number
