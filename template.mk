# litzoo's project template (cookiecutter in template/), included by the Makefile.
# template/ is built from this repository's own files: never edit it by hand.
OUT ?= ..

.PHONY: template new-project

template: $(STAMP)  ## rebuild template/ from this repository (scripts/template/manifest.yaml); commit it
	$(PY) scripts/make_template.py

# cruft records the template and the answers in .cruft.json after the bake (and after the
# template's own first commit): fold it into that commit, so `cruft update` starts clean.
new-project: $(STAMP)  ## a new project in OUT (default ..) from the committed template; ARGS="--no-input ..."
	$(VENV)/bin/cruft create "$(CURDIR)" --directory template --output-dir "$(OUT)" $(ARGS)
	@for f in "$(OUT)"/*/.cruft.json; do d=$$(dirname "$$f"); \
	  if [ -n "$$(git -C "$$d" status --porcelain -- .cruft.json 2>/dev/null)" ]; then \
	    git -C "$$d" add .cruft.json && git -C "$$d" commit -q --amend --no-edit && \
	    echo "$$d: .cruft.json recorded in the first commit"; fi; done
