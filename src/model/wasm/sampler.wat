;; The stylized sampler's kept uniform coordinates in WebAssembly (THEORY.md section 2).
;;
;; Exactly the arithmetic of fillUniform in src/model/sample.ts, so the stream is bit-identical
;; (test/simulateSample.test.ts compares the two): xoshiro128** on four i32 words, one 32-bit
;; draw k per coordinate, x = a ((k + 1/2) 2^-31 - 1), the level sum accumulated in order from
;; 0, y's partial sum yi = yi + coef_l * sum_l over the levels in order. V8 runs the JavaScript
;; loop at about 4 ns per coordinate inside the sampler, this one close to the recurrence's own
;; latency. The binary next to this file, sampler.wasm, is assembled from it by
;; `npm run build:wasm`; a test checks the two agree byte for byte.
;;
;; Memory: imported (src/model/sample.ts lays it out). Addresses are byte offsets.
(module
  (memory (import "env" "memory") 1)

  ;; fillRow(st, levels, table, out, stride) -> yi
  ;;   st: 4 x i32 xoshiro128** state (read and written back);
  ;;   table: per level 24 bytes: i32 count at +0, f64 half-width a at +8, f64 coefficient at +16;
  ;;   out: byte address of the row's first coordinate, stride: bytes between coordinates.
  ;; Returns sum_l coef_l * (sum of the level's coordinates).
  (func (export "fillRow") (param $st i32) (param $levels i32) (param $table i32) (param $out i32) (param $stride i32) (result f64)
    (local $a0 i32) (local $a1 i32) (local $a2 i32) (local $a3 i32) (local $m5 i32) (local $k i32) (local $t i32)
    (local $l i32) (local $j i32) (local $cnt i32) (local $o i32) (local $p i32)
    (local $a f64) (local $sum f64) (local $yi f64) (local $x f64)
    (local.set $a0 (i32.load (local.get $st)))
    (local.set $a1 (i32.load offset=4 (local.get $st)))
    (local.set $a2 (i32.load offset=8 (local.get $st)))
    (local.set $a3 (i32.load offset=12 (local.get $st)))
    (local.set $o (local.get $out))
    (local.set $p (local.get $table))
    (local.set $yi (f64.const 0))
    (local.set $l (i32.const 0))
    (block $lDone (loop $lLoop
      (br_if $lDone (i32.ge_u (local.get $l) (local.get $levels)))
      (local.set $cnt (i32.load (local.get $p)))
      (local.set $a (f64.load offset=8 (local.get $p)))
      (local.set $sum (f64.const 0))
      (local.set $j (i32.const 0))
      (block $jDone (loop $jLoop
        (br_if $jDone (i32.ge_u (local.get $j) (local.get $cnt)))
        (local.set $m5 (i32.mul (local.get $a1) (i32.const 5)))
        (local.set $k (i32.mul (i32.rotl (local.get $m5) (i32.const 7)) (i32.const 9)))
        (local.set $t (i32.shl (local.get $a1) (i32.const 9)))
        (local.set $a2 (i32.xor (local.get $a2) (local.get $a0)))
        (local.set $a3 (i32.xor (local.get $a3) (local.get $a1)))
        (local.set $a1 (i32.xor (local.get $a1) (local.get $a2)))
        (local.set $a0 (i32.xor (local.get $a0) (local.get $a3)))
        (local.set $a2 (i32.xor (local.get $a2) (local.get $t)))
        (local.set $a3 (i32.rotl (local.get $a3) (i32.const 11)))
        (local.set $x (f64.mul (local.get $a)
          (f64.sub (f64.mul (f64.add (f64.convert_i32_u (local.get $k)) (f64.const 0.5)) (f64.const 0x1p-31)) (f64.const 1))))
        (f64.store (local.get $o) (local.get $x))
        (local.set $sum (f64.add (local.get $sum) (local.get $x)))
        (local.set $o (i32.add (local.get $o) (local.get $stride)))
        (local.set $j (i32.add (local.get $j) (i32.const 1)))
        (br $jLoop)))
      (local.set $yi (f64.add (local.get $yi) (f64.mul (f64.load offset=16 (local.get $p)) (local.get $sum))))
      (local.set $p (i32.add (local.get $p) (i32.const 24)))
      (local.set $l (i32.add (local.get $l) (i32.const 1)))
      (br $lLoop)))
    (i32.store (local.get $st) (local.get $a0))
    (i32.store offset=4 (local.get $st) (local.get $a1))
    (i32.store offset=8 (local.get $st) (local.get $a2))
    (i32.store offset=12 (local.get $st) (local.get $a3))
    (local.get $yi))
)
