// The shardplan plan language.
//
// The grammar is deliberately generic: a file is imports and declarations; a declaration is a
// kind, a name and a body of entries; an entry is a key, values and an optional nested body.
// What each kind of declaration may contain (fields, types, units) is checked by the compiler's
// schema, not here, so that a wrong field gets a precise diagnostic instead of a parse error.
//
// Statements end at a newline or ';'. Newlines inside ( ) and after ',' are ignored.
grammar Plan;

// ---- entry points (one per testable fragment) ----
file        : sep? (topItem (sep topItem)*)? sep? EOF ;
valueEOF    : NL* valueList NL* EOF ;

topItem
    : IMPORT STRING                                     # importItem
    | kind=ident name=ident fromClause? body            # declItem
    ;

fromClause  : FROM source=ident STRING ;

body        : LBRACE sep? (entry (sep entry)*)? sep? RBRACE ;

entry       : key=ident valueList? body? ;

sep         : (NL | SEMI)+ ;

valueList   : valueSeq (COMMA NL* valueSeq)* ;

valueSeq    : value+ ;

value
    : MINUS? NUMBER unit?                               # quantityValue
    | STRING                                            # stringValue
    | ident                                             # identValue
    | ident LPAREN NL* (arg (COMMA NL* arg)*)? NL* RPAREN unit?    # callValue
    | LBRACK NL* (valueSeq (COMMA NL* valueSeq)*)? NL* RBRACK      # listValue
    | op=(LT | LE | GT | GE | EQ)                       # opValue
    | X                                                 # timesValue
    ;

arg         : (name=argName)? MINUS? NUMBER unit? NL*              # numberArg
            | STRING NL*                                           # stringArg
            ;

// Argument names may be spelled like a unit: `uniform(min 100, max 400)`.
argName     : ident | UNIT ;

unit        : UNIT (SLASH UNIT)? | PERCENT ;

// Keywords that may still be used as names (field keys, identifiers).
ident       : ID | FROM | IMPORT ;

// ---- lexer ----
IMPORT      : 'import' ;
FROM        : 'from' ;
X           : 'x' | '\u00D7' ;

// Unit words are a closed set so that `2000 offline` is a number and a name while
// `400 Gb/s` is a quantity. Names cannot be spelled like a unit.
UNIT
    : 'B' | 'KB' | 'MB' | 'GB' | 'TB' | 'PB' | 'KiB' | 'MiB' | 'GiB' | 'TiB'
    | 'b' | 'Kb' | 'Mb' | 'Gb' | 'Tb'
    | 'ns' | 'us' | '\u00B5s' | 'ms' | 's' | 'min' | 'h'
    | 'FLOPS' | 'GFLOPS' | 'TFLOPS' | 'PFLOPS'
    | 'tokens' | 'token' | 'W' | 'GHz' | 'req'
    ;

NUMBER      : DIGIT (DIGIT | '_')* ('.' DIGIT+)? ([eE] [+-]? DIGIT+)? [kKM]? ;
fragment DIGIT : [0-9] ;

ID          : [A-Za-z_] [A-Za-z0-9_]* ([-.] [A-Za-z0-9_]+)* ;

STRING      : '"' (ESC | ~["\\\r\n])* '"' ;
fragment ESC : '\\' (["\\/nrt] | 'u' HEX HEX HEX HEX) ;
fragment HEX : [0-9a-fA-F] ;

LBRACE      : '{' ;
RBRACE      : '}' ;
LPAREN      : '(' ;
RPAREN      : ')' ;
LBRACK      : '[' ;
RBRACK      : ']' ;
COMMA       : ',' ;
SEMI        : ';' ;
SLASH       : '/' ;
PERCENT     : '%' ;
MINUS       : '-' ;
LE          : '<=' ;
GE          : '>=' ;
LT          : '<' ;
GT          : '>' ;
EQ          : '=' | '==' ;

NL          : '\r'? '\n' ;
LINE_COMMENT  : ('//' | '#') ~[\r\n]* -> skip ;
BLOCK_COMMENT : '/*' .*? '*/' -> skip ;
WS          : [ \t\f]+ -> skip ;

// Catch-all so that the lexer never fails: the parser reports it with a span.
UNTERMINATED_STRING : '"' (ESC | ~["\\\r\n])* ;
ERROR_CHAR  : . ;
