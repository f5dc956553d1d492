"""The {{ cookiecutter.package_name }} package: this project's own code (its nets{% if cookiecutter.own_system == 'yes' %} and systems{% endif %}); litzoo runs it."""
