"""Class mode: a teacher's class, its students, what the teacher pushes to them, the
challenges and the students' submissions, kept in a database (``store``).

Nothing here imports Panel or Bokeh; the pages use it through ``store.Store``."""
