// Structure of filters and policy files. Every rule whose alternatives build different nodes
// labels them (primary, relation, item), and the AST builder has one case per label; the other
// alternatives are sets of tokens (operator, value, setValue, word) read by token type. The grammar
// is LL(1) except for the trailing-operator rule, so that checks run from the parse listener in
// exactly the kernel's left-to-right order. FilterParser predicts with SLL first and parses again
// with full LL only when that fails, so that every error is found and worded by the LL parse.
parser grammar EvFilterParser;

options { tokenVocab = EvFilterLexer; }

// A single filter, as written to an event's 'filter' file. A trailing '&&' or '||' (followed only
// by '!'s) is parsed so that it can be refused with the kernel's message at the kernel's column
// (older kernels accepted it; policy rules still may end with one before a continuation line).
filter
  : expression trailer? EOF
  ;

trailer
  : (ANDAND | OROR) NOT*
  ;

expression
  : terms+=term (OROR terms+=term)*
  ;

term
  : factors+=factor (ANDAND factors+=factor)*
  ;

// The kernel's '!' toggles an inversion for the next predicate or group; '!!' cancels.
factor
  : nots+=NOT* primary
  ;

primary
  : LPAREN expression RPAREN (op=operator value?)?           #group
  | predicate                                                #atom
  ;

// The field is matched before anything after it is looked at (the choice between a comparison
// and a set is a rule of its own, predicted after the field), so the kernel's field check comes
// first, whatever follows.
predicate
  : field=FIELD relation
  ;

relation
  : op=operator value?                                                      #comparison
  | IN LBRACE (elements+=setElement (S_COMMA elements+=setElement)*)? RBRACE  #membership
  ;

operator
  : GLOB | NE | EQ | LE | LT | GE | GT | BAND
  ;

value
  : STRING | NUMBER | CPUS | SYMBOL | ADDRESS | BAD_VALUE | FUNCTION_NUMBER | FUNCTION_SYMBOL
  ;

setElement
  : low=setValue (DOTDOT high=setValue)?
  ;

setValue
  : S_NUMBER | S_SYMBOL | S_STRING | S_ADDRESS
  ;

// A policy file: one statement per line; a newline inside brackets does not end a statement.
policy
  : NEWLINE* (statements+=statement (NEWLINE+ statements+=statement)*)? NEWLINE* EOF
  ;

statement
  : head=word headArg=argument? (items+=item (COMMA? items+=item)*)? (COLON body=expression trailer?)?
  ;

item
  : word argument?                                           #named
  | QUOTED                                                   #path
  ;

argument
  : LPAREN word RPAREN
  ;

word
  : FIELD | IN
  ;
