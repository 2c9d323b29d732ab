"""Reply drafts for tickets: the shipped templates (replaceable by operators) and the order facts they quote."""
