"""A publication stores its parts; the A to Z reads a table of public names.

Rows published before this migration have no parts (and their ``rendered_html`` still holds
the disclaimer): ``manage.py rebuild_published --missing`` fills them (``make run`` does).
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('monographs', '0010_review_decision_clinical_changes'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='PublicName',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('slug', models.SlugField(db_index=False, max_length=200)),
                ('name', models.CharField(max_length=200)),
                ('sort_name', models.CharField(max_length=200)),
                ('letter', models.CharField(max_length=3)),
                ('see', models.CharField(blank=True, max_length=200)),
            ],
            options={
                'ordering': ['letter', 'sort_name', 'name'],
            },
        ),
        migrations.RemoveField(
            model_name='revision',
            name='structured_data',
        ),
        migrations.AddField(
            model_name='monograph',
            name='last_reviewed_by_name',
            field=models.CharField(blank=True, editable=False, max_length=300),
        ),
        migrations.AddField(
            model_name='monograph',
            name='last_reviewed_by_role',
            field=models.CharField(blank=True, editable=False, max_length=100),
        ),
        migrations.AddField(
            model_name='revision',
            name='contents',
            field=models.JSONField(blank=True, default=list, editable=False),
        ),
        migrations.AddField(
            model_name='revision',
            name='disclaimer_html',
            field=models.TextField(blank=True, editable=False),
        ),
        migrations.AddField(
            model_name='revision',
            name='jsonld',
            field=models.TextField(blank=True, editable=False),
        ),
        migrations.AddField(
            model_name='revision',
            name='meta_description',
            field=models.CharField(blank=True, editable=False, max_length=300),
        ),
        migrations.AlterField(
            model_name='auditentry',
            name='action',
            field=models.CharField(choices=[('import', 'Imported'), ('create', 'Created'), ('save', 'Saved draft'), ('submit', 'Submitted for review'), ('approve', 'Approved and published'), ('request_changes', 'Requested changes'), ('revert', 'Reverted'), ('withdraw', 'Withdrawn'), ('restore', 'Restored'), ('disclaimer_change', 'Changed disclaimer'), ('review_due_change', 'Changed next review date'), ('label_draft', 'Drafted from a drug label'), ('label_changed', 'Source label changed'), ('label_checked', 'Checked the changed source label'), ('schedule', 'Approved for a scheduled publication'), ('reschedule', 'Rescheduled a publication'), ('cancel_schedule', 'Cancelled a scheduled publication'), ('publish_scheduled', 'Published as scheduled'), ('signin_lockout', 'Sign-in locked out'), ('rebuild_published', 'Rebuilt published pages')], db_index=True, max_length=30),
        ),
        migrations.AddIndex(
            model_name='revision',
            index=models.Index(fields=['monograph', 'published_at'], name='revision_history'),
        ),
        migrations.AddField(
            model_name='publicname',
            name='monograph',
            field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='monographs.monograph'),
        ),
        migrations.AddIndex(
            model_name='publicname',
            index=models.Index(fields=['letter', 'sort_name'], name='public_name_letter'),
        ),
    ]
