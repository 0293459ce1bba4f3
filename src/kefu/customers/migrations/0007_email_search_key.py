"""E-mail contacts get their search key (the address in lower case), which mail intake now
matches senders by: before, it compared addresses case-insensitively without an index."""

from django.db import migrations
from django.db.models.functions import Lower


def fill(apps, schema_editor):
    contacts = apps.get_model("customers", "CustomerContact").objects
    contacts.filter(kind="email").update(search_key=Lower("value"))


class Migration(migrations.Migration):
    dependencies = [("customers", "0006_customer_name_statistics")]

    operations = [migrations.RunPython(fill, migrations.RunPython.noop)]
