package store

import (
	"reflect"
	"strings"
	"testing"
)

// Every copy function of the row caches copies every pointer, slice, map and raw-JSON
// field, however deep: a caller that edits what a cached read returned must not change
// the cache. Each field of the type is filled (so a field added later is checked too),
// then the copy is walked beside the original, and no reference may be shared. The copy
// functions are taken from the caches themselves, and every cache of rowCaches must be
// checked here: a cache added later fails until its copy is.
func TestRowCacheCopiesShareNothing(t *testing.T) {
	c := newRowCaches()
	checked := map[string]bool{"users": true, "channels": true, "members": true}
	check(t, "users (copyUser)", c.users.clone)
	check(t, "channels (copyChannel)", c.channels.clone)
	check(t, "members (copyMembership)", c.members.clone)
	v := reflect.TypeOf(c).Elem()
	for i := range v.NumField() {
		f := v.Field(i)
		if strings.HasPrefix(f.Type.String(), "*store.rowCache[") && !checked[f.Name] {
			t.Errorf("rowCaches.%s: its copy function is not checked here", f.Name)
		}
	}
}

func check[T any](t *testing.T, name string, copyFn func(T) T) {
	var orig T
	fill(reflect.ValueOf(&orig).Elem())
	cp := copyFn(orig)
	if !reflect.DeepEqual(orig, cp) {
		t.Errorf("%s: the copy differs from the original", name)
	}
	shared(t, name, reflect.ValueOf(orig), reflect.ValueOf(cp))
}

// fill gives every field a non-zero value, allocating what pointers and slices hold.
func fill(v reflect.Value) {
	switch v.Kind() {
	case reflect.Pointer:
		v.Set(reflect.New(v.Type().Elem()))
		fill(v.Elem())
	case reflect.Slice:
		v.Set(reflect.MakeSlice(v.Type(), 1, 1))
		fill(v.Index(0))
	case reflect.Map:
		v.Set(reflect.MakeMap(v.Type()))
		k, e := reflect.New(v.Type().Key()).Elem(), reflect.New(v.Type().Elem()).Elem()
		fill(k)
		fill(e)
		v.SetMapIndex(k, e)
	case reflect.Struct:
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				fill(v.Field(i))
			}
		}
	case reflect.String:
		v.SetString("x")
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		v.SetInt(1)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		v.SetUint(1)
	case reflect.Float32, reflect.Float64:
		v.SetFloat(1)
	case reflect.Interface:
		v.Set(reflect.ValueOf("x"))
	}
}

// shared fails for every pointer, slice or map of a that b holds too.
func shared(t *testing.T, path string, a, b reflect.Value) {
	switch a.Kind() {
	case reflect.Pointer:
		if a.IsNil() {
			return
		}
		if a.Pointer() == b.Pointer() {
			t.Errorf("%s: the copy shares the pointer", path)
		}
		shared(t, path, a.Elem(), b.Elem())
	case reflect.Slice:
		if a.Len() == 0 {
			return
		}
		if a.Pointer() == b.Pointer() {
			t.Errorf("%s: the copy shares the slice (or raw JSON)", path)
		}
		for i := range a.Len() {
			shared(t, path+"[]", a.Index(i), b.Index(i))
		}
	case reflect.Map:
		if a.Len() > 0 && a.Pointer() == b.Pointer() {
			t.Errorf("%s: the copy shares the map", path)
		}
	case reflect.Interface:
		if !a.IsNil() {
			shared(t, path, a.Elem(), b.Elem())
		}
	case reflect.Struct:
		for i := range a.NumField() {
			if a.Type().Field(i).IsExported() {
				shared(t, path+"."+a.Type().Field(i).Name, a.Field(i), b.Field(i))
			}
		}
	}
}
