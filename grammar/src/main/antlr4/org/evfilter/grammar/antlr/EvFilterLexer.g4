// The Linux trace-event filter language (kernel/trace/trace_events_filter.c), tokenised the way
// the kernel's hand-written scanner reads it, plus evfilter's policy files and extensions.
//
// Input is the filter's bytes decoded as ISO-8859-1, so one char is one byte and the kernel's
// ctype classes (isspace includes 0xA0; isalnum includes the Latin-1 letters) are exact.
// Values are context dependent in the kernel, so an operator switches to a value mode.
lexer grammar EvFilterLexer;

// No lexer predicates: they keep ANTLR from caching the lexer's DFA and cost ~5x. Context is
// applied in actions instead.
tokens { IN }

@members {
  /** In a policy file a newline outside brackets ends a statement. */
  public boolean policyMode = false;
  /** '#' starts a comment (an extension; off under --strict-ftrace). */
  public boolean comments = false;
  /** Network addresses are values (an extension; off under --strict-ftrace). */
  public boolean addresses = true;
  private int depth = 0;
  private boolean functionValue = false;
  private int lastType = -1;
  private int newlines = 0;

  @Override
  public org.antlr.v4.runtime.Token emit() {
    org.antlr.v4.runtime.Token t = super.emit();
    if (t.getChannel() == org.antlr.v4.runtime.Token.DEFAULT_CHANNEL) {
      lastType = t.getType();
      newlines = 0;
    }
    return t;
  }

  /**
   * Whether a newline here continues the statement: in a filter always; in a policy inside
   * brackets, or after a token that cannot end one ('&&', '||', '!', ':', ',', an operator).
   */
  private boolean continues() {
    if (!policyMode || depth > 0) {
      return true;
    }
    // A blank line always ends a statement.
    if (newlines++ > 0) {
      return false;
    }
    switch (lastType) {
      case ANDAND: case OROR: case NOT: case COLON: case COMMA:
      case GLOB: case NE: case EQ: case LE: case LT: case GE: case GT: case BAND:
        return true;
      default:
        return false;
    }
  }

  /** A newline where a value is due: whitespace, or in a policy the end of the statement. */
  private void endOfLine() {
    if (continues()) {
      setChannel(HIDDEN);
    } else {
      setType(NEWLINE);
      popMode();
    }
  }

  private void field() {
    if (lastType == FIELD && getText().equals("in")) {
      setType(IN);
      pushMode(SET);
    } else {
      functionValue = getText().endsWith(".function");
    }
  }

  /**
   * An address value ('10.0.0.1', '::1', '10.0.0.0/8'). Without the extension the token is cut back
   * to what the kernel's scanner reads there (a number, a name or one stray character), so that
   * --strict-ftrace refuses it exactly as the kernel does. The action runs once the lexer has
   * consumed the whole match; moving the input back shortens the token, since emit() ends it there.
   */
  private void address(int number, int symbol, int other) {
    if (addresses) {
      return;
    }
    String text = getText();
    char first = text.charAt(0);
    int length = 1;
    int type = other;
    if (Character.isDigit(first) || Character.isLetter(first) || first == '_') {
      type = Character.isDigit(first) ? number : symbol;
      while (length < text.length() && (Character.isLetterOrDigit(text.charAt(length))
          || type == symbol && text.charAt(length) == '_')) {
        length++;
      }
    }
    _input.seek(_tokenStartCharIndex + length);
    setType(type);
  }

  private void operator() {
    pushMode(functionValue ? FUNCTION_VALUE : VALUE);
    functionValue = false;
  }
}

// ---- default mode: structure, field names, operators ----
NEWLINE : '\n' { if (continues()) setChannel(HIDDEN); } ;
WS      : HSPACE+ -> channel(HIDDEN) ;
// Without comments (--strict-ftrace) the '#' is a stray token, reported where it starts.
COMMENT : '#' ~'\n'* { if (comments) setChannel(HIDDEN); else setType(OTHER); } ;

LPAREN  : '(' { depth++; } ;
RPAREN  : ')' { if (depth > 0) depth--; } ;
ANDAND  : '&&' ;
OROR    : '||' ;
COLON   : ':' ;
COMMA   : ',' ;

// The kernel's ops[] in its order; ANTLR's longest match gives the same result for these.
GLOB    : '~'  { operator(); } ;
NE      : '!=' { operator(); } ;
EQ      : '==' { operator(); } ;
LE      : '<=' { operator(); } ;
LT      : '<'  { operator(); } ;
GE      : '>=' { operator(); } ;
GT      : '>'  { operator(); } ;
BAND    : '&'  { operator(); } ;
NOT     : '!' ;

// A field name with its suffixes, which the kernel reads only directly after the name and only in
// this order. 'in' after a field starts a set (an extension); anywhere else it is a field name.
FIELD   : NAMECHAR+ '.ustring'? '.function'? { field(); } ;
QUOTED  : QUOTE ;
OTHER   : . ;

fragment NAMECHAR : [A-Za-z0-9_\u00C0-\u00D6\u00D8-\u00F6\u00F8-\u00FF] ;
fragment ALNUM    : [A-Za-z0-9\u00C0-\u00D6\u00D8-\u00F6\u00F8-\u00FF] ;
// The kernel's isspace() on Latin-1, without and with the newline.
fragment HSPACE   : [ \t\r\u000B\u000C\u00A0] ;
fragment SPACE    : HSPACE | '\n' ;
// An IPv4 or IPv6 address as written, with an optional '/prefix' (checked when it is bound): digits
// and dots, or hex digits and colons with an optional dotted IPv4 tail (::ffff:10.0.0.1). A '..'
// never belongs to one, so '1..5' stays a range.
fragment ADDR     : ( DIGITS ( '.' DIGITS )+ | HEXDIGIT* ':' ( HEXDIGIT | ':' )* ( '.' DIGITS )* ) ( '/' ALNUM* )? ;
fragment DIGITS   : [0-9]+ ;
fragment HEXDIGIT : [0-9A-Fa-f] ;
fragment QUOTE    : '"' ~'"'* '"' | '\'' ~'\''* '\'' ;

// ---- after an operator: one value, read as parse_pred() reads it ----
mode VALUE;
V_WS      : HSPACE+ -> channel(HIDDEN) ;
V_NEWLINE : '\n' { endOfLine(); } ;
// 'CPUS' decides the branch in the kernel whatever follows; the checker reports a missing brace.
CPUS      : 'CPUS' ( '{' ~'}'* '}'? | ALNUM* ) -> popMode ;
STRING    : QUOTE -> popMode ;
NUMBER    : ( '-' | [0-9] ) ALNUM* -> popMode ;
ADDRESS   : ADDR { address(NUMBER, SYMBOL, BAD_VALUE); } -> popMode ;
SYMBOL    : [A-Za-z_\u00C0-\u00D6\u00D8-\u00F6\u00F8-\u00FF] NAMECHAR* -> popMode ;
BAD_VALUE : . -> popMode ;

// ---- after the operator of a '.function' field: a number, or a symbol up to whitespace ----
mode FUNCTION_VALUE;
F_WS            : HSPACE+ -> channel(HIDDEN) ;
F_NEWLINE       : '\n' { endOfLine(); } ;
FUNCTION_NUMBER : [0-9] ALNUM* -> popMode ;
FUNCTION_SYMBOL : ~[0-9 \t\n\r\u000B\u000C\u00A0] ~[ \t\n\r\u000B\u000C\u00A0]* -> popMode ;

// ---- after 'in': a set of values and ranges, '{ read, write, 10..20 }' ----
mode SET;
S_WS     : SPACE+ -> channel(HIDDEN) ;
LBRACE   : '{' { depth++; } ;
RBRACE   : '}' { if (depth > 0) depth--; } -> popMode ;
S_COMMA  : ',' ;
DOTDOT   : '..' ;
S_STRING : QUOTE ;
S_NUMBER : ( '-' | [0-9] ) ALNUM* ;
S_ADDRESS : ADDR { address(S_NUMBER, S_SYMBOL, S_OTHER); } ;
S_SYMBOL : [A-Za-z_\u00C0-\u00D6\u00D8-\u00F6\u00F8-\u00FF] NAMECHAR* ;
S_OTHER  : . -> popMode ;
